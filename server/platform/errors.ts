// The platform API's failures as the platform reports them: HTTP 200 with `{ errcode, errmsg }`, the errmsg
// ending in a request id (" rid: xxxxxxxx-xxxxxxxx-xxxxxxxx"), as client libraries and people's logs expect.
import { randomBytes } from 'node:crypto';

/** The platform's own wording for each code the simulator gives. */
export const ERRMSG: Record<number, string> = {
  [-1]: 'system error',
  40001: 'invalid credential, access_token is invalid or not latest',
  40002: 'invalid grant_type',
  40003: 'invalid openid',
  40004: 'invalid media type',
  40005: 'invalid file type',
  40006: 'invalid media size',
  40007: 'invalid media_id',
  40008: 'invalid message type',
  40009: 'invalid image size',
  40010: 'invalid voice size',
  40011: 'invalid video size',
  40012: 'invalid thumb size',
  40013: 'invalid appid',
  40016: 'invalid button size',
  40017: 'invalid button type',
  40018: 'invalid button name size',
  40019: 'invalid button key size',
  40020: 'invalid button url size',
  40023: 'invalid sub button size',
  40024: 'invalid sub button type',
  40025: 'invalid sub button name size',
  40026: 'invalid sub button key size',
  40027: 'invalid sub button url size',
  40029: 'invalid code',
  40030: 'invalid refresh_token',
  40032: 'invalid openid list size',
  40037: 'invalid template_id',
  40053: 'invalid action info, please check document',
  40097: 'invalid args',
  40130: 'invalid openid list size, at least two openid',
  40125: 'invalid appsecret',
  40163: 'code been used',
  41001: 'access_token missing',
  41003: 'refresh_token missing',
  41005: 'media data missing',
  41008: 'missing code',
  42001: 'access_token expired',
  42002: 'refresh_token expired',
  42003: 'oauth_code timeout',
  43001: 'require GET method',
  43002: 'require POST method',
  43004: 'require subscribe',
  44002: 'empty post data',
  45002: 'content size out of limit',
  45008: 'article size out of limit',
  45009: 'reach max api daily quota limit',
  45011: 'api minute-quota reach limit, must slower, retry next minute',
  45015: 'response out of time limit or subscription is canceled',
  45047: 'out of response count limit',
  45056: 'too many tags now, no need to add new',
  45059: 'this user has too many tags',
  45157: 'invalid tag name, the tag name is duplicated',
  45158: 'tag name too long',
  45159: 'invalid tag id',
  46003: 'menu no exist',
  47001: 'data format error',
  48001: 'api unauthorized',
};

/** A refused call: the errcode, and why in words (appended to the platform's own message). */
export class PlatformError extends Error {
  constructor(
    readonly errcode: number,
    readonly detail?: string,
  ) {
    super(`${ERRMSG[errcode] ?? 'error'}${detail ? ` hint: [${detail}]` : ''}`);
    this.name = 'PlatformError';
  }
}

/** A request id in the platform's shape. */
export function rid(): string {
  const hex = randomBytes(12).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 16)}-${hex.slice(16, 24)}`;
}

export type ErrorAnswer = { errcode: number; errmsg: string };

/** The body a refused call answers with. */
export function errorAnswer(err: PlatformError): ErrorAnswer {
  return { errcode: err.errcode, errmsg: `${err.message} rid: ${rid()}` };
}

/** The body of a call that succeeded and has nothing else to say. */
export const OK = { errcode: 0, errmsg: 'ok' } as const;
