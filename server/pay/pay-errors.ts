// WeChat Pay's failures as APIv3 reports them: an HTTP status and `{ code, message, detail? }`, the code one of
// the platform's (PARAM_ERROR, SIGN_ERROR, ORDER_NOT_EXIST, …) so a merchant's server can branch on it.

export type PayErrorBody = { code: string; message: string; detail?: Record<string, unknown> };

export class PayError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly detail?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'PayError';
  }

  body(): PayErrorBody {
    return this.detail ? { code: this.code, message: this.message, detail: this.detail } : { code: this.code, message: this.message };
  }
}

/** 400 PARAM_ERROR naming the field, as the platform's own messages do ("输入源“/body/amount/total”映射到值字段“总金额”字符串规则校验失败…"). */
export const paramError = (field: string, why: string) => new PayError(400, 'PARAM_ERROR', `${field}: ${why}`, { field, location: 'body' });

/** 401 SIGN_ERROR: the platform's message, and what was wrong in `detail` so a developer can see it. */
export const signError = (why: string, message = '错误的签名，验签失败') => new PayError(401, 'SIGN_ERROR', message, { detail: why });
