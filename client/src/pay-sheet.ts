// WeChat Pay in the phone: the pay sheet (merchant, description, amount; Pay and Cancel, no password) that a
// page's getBrandWCPayRequest / chooseWXPay or a scanned Native code_url opens, and the developer panel's part
// (the switch that makes the next payment fail, and scanning a code_url). The simulator keeps the open sheet
// (/api/pay/sheets), so a test script may answer it through the SDK: the sheet follows what it says.
import { button, el } from './dom.ts';

/** How the sheet ended, as the page hears it. */
export type PayOutcome = { result: 'ok' | 'cancel' | 'fail'; code?: string; message?: string };

type Sheet = { merchant: string; description: string; total: number; outcome?: PayOutcome };
type Answer = { ok: true; sheet: Sheet } | { ok: false; error: { code: string; message: string } };

const FOLLOW_MS = 500;
const yuan = (fen: number) => `¥${(fen / 100).toFixed(2)}`;

async function post(url: string, body?: object): Promise<Answer> {
  const res = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body ?? {}) });
  const answer = (await res.json().catch(() => undefined)) as Answer | { error?: { code: string; message: string } } | undefined;
  if (answer && 'ok' in answer) return answer;
  return { ok: false, error: answer?.error ?? { code: 'unavailable', message: `the simulator answered ${res.status}` } };
}

export class WechatPayView {
  private open?: HTMLElement;

  constructor(
    private readonly phone: HTMLElement,
    private readonly userId: () => string,
  ) {}

  /** A page asked to pay: the sheet for its request, or `fail` at once when the request does not hold (a wrong paySign). */
  pay(request: Record<string, unknown>): Promise<PayOutcome> {
    return this.show({ ...request, userId: this.userId() });
  }

  /** A Native code_url scanned in the chat window. */
  scan(codeUrl: string): Promise<PayOutcome> {
    return this.show({ userId: this.userId(), code_url: codeUrl });
  }

  private async show(body: Record<string, unknown>): Promise<PayOutcome> {
    const userId = this.userId();
    const opened = await post('/api/pay/sheets', body);
    if (!opened.ok) return { result: 'fail', code: opened.error.code, message: opened.error.message };
    this.close();
    const { sheet } = opened;
    const overlay = el('div', 'pay-overlay');
    const dialog = el('div', 'pay-sheet');
    dialog.setAttribute('role', 'dialog');
    dialog.setAttribute('aria-label', 'WeChat Pay');
    const status = el('p', 'pay-status');
    status.setAttribute('role', 'status');
    status.hidden = true;
    const actions = el('div', 'pay-actions');
    dialog.append(el('p', 'pay-brand', '微信支付 WeChat Pay'), el('p', 'pay-merchant', sheet.merchant), el('p', 'pay-amount', yuan(sheet.total)), el('p', 'pay-description', sheet.description), status, actions);
    overlay.append(dialog);
    this.phone.append(overlay);
    this.open = overlay;

    return new Promise<PayOutcome>((resolve) => {
      let settled = false;
      const finish = (outcome: PayOutcome) => {
        if (settled) return;
        settled = true;
        clearInterval(follow);
        if (outcome.result !== 'fail') {
          this.close();
          return resolve(outcome);
        }
        // WeChat says why it failed (余额不足) and waits for OK.
        status.textContent = outcome.message ?? 'Payment failed';
        status.hidden = false;
        actions.replaceChildren(button('pay-done', 'OK', () => {
          this.close();
          resolve(outcome);
        }));
      };
      const answer = async (choice: 'pay' | 'cancel') => {
        actions.querySelectorAll('button').forEach((b) => (b.disabled = true));
        const ended = await post(`/api/pay/sheets/${encodeURIComponent(userId)}/${choice}`);
        finish(ended.ok ? ended.sheet.outcome! : { result: 'fail', code: ended.error.code, message: ended.error.message });
      };
      const payButton = button('pay-confirm', 'Pay', () => void answer('pay'));
      actions.append(payButton, button('pay-cancel', 'Cancel', () => void answer('cancel')));
      payButton.focus();
      // A test script may answer the sheet through the SDK meanwhile.
      const follow = setInterval(async () => {
        const res = await fetch(`/api/pay/sheets/${encodeURIComponent(userId)}`).catch(() => undefined);
        const current = (await res?.json().catch(() => undefined)) as { sheet?: Sheet } | undefined;
        if (current?.sheet?.outcome) finish(current.sheet.outcome);
      }, FOLLOW_MS);
    });
  }

  private close(): void {
    this.open?.remove();
    this.open = undefined;
  }

  /** The developer panel's WeChat Pay row, when the simulator plays WeChat Pay: the NOTENOUGH switch and a scan box. */
  async addPanelRow(panel: HTMLElement): Promise<void> {
    const res = await fetch('/api/pay/status').catch(() => undefined);
    const status = (await res?.json().catch(() => undefined)) as { enabled?: boolean; failNext?: boolean } | undefined;
    if (!status?.enabled) return;
    const on = status.failNext === true;
    const row = el('div', 'dev-row dev-pay');
    const label = el('label', undefined, ' Next payment fails (余额不足)');
    const failNext = el('input');
    failNext.type = 'checkbox';
    failNext.id = 'dev-pay-fail-next';
    failNext.checked = on;
    failNext.addEventListener('change', () => {
      void fetch('/api/pay/fail-next', { method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ on: failNext.checked }) });
    });
    label.prepend(failNext);
    const code = el('input');
    code.id = 'dev-pay-code-url';
    code.placeholder = 'weixin://wxpay/bizpayurl?pr=…';
    code.setAttribute('aria-label', 'Native code_url to scan');
    const scan = button('', 'Scan', () => {
      if (code.value.trim()) void this.scan(code.value.trim()).then((outcome) => (failNext.checked = outcome.result === 'fail' ? false : failNext.checked));
    });
    scan.id = 'dev-pay-scan';
    row.append(label, code, scan);
    panel.append(row);
  }
}
