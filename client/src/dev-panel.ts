// The developer panel: who this window is, "New user", "Restart", "Export as flow", a message's raw JSON
// (with the XML exchanged with a target server), and the platform API calls the server under test made.
import type { ApiCall } from '../../server/contract.ts';
import { el } from './dom.ts';

// Enough to follow a session; older calls scroll away.
const MAX_API_CALLS = 200;

export type DevPanelActions = { newUser: () => void; restart: () => void; exportFlow: () => void };

export class DevPanel {
  private readonly panel = document.getElementById('dev-panel')!;
  private readonly toggle = document.getElementById('dev-toggle') as HTMLButtonElement;
  private readonly user = document.getElementById('dev-user')!;
  private readonly json = document.getElementById('dev-json')!;
  private readonly hint = document.getElementById('dev-hint')!;
  private readonly apiSection = document.getElementById('dev-api')!;
  private readonly apiList = document.getElementById('dev-api-list')!;
  private selected: HTMLElement | undefined;

  constructor(actions: DevPanelActions) {
    this.toggle.addEventListener('click', () => this.setOpen(this.panel.hasAttribute('hidden')));
    document.getElementById('dev-new-user')!.addEventListener('click', actions.newUser);
    document.getElementById('dev-restart')!.addEventListener('click', actions.restart);
    document.getElementById('dev-export')!.addEventListener('click', actions.exportFlow);
  }

  get isOpen(): boolean {
    return !this.panel.hasAttribute('hidden');
  }

  setOpen(open: boolean): void {
    this.panel.hidden = !open;
    this.toggle.setAttribute('aria-expanded', String(open));
    // Messages become keyboard-selectable only while there is somewhere to show them.
    document.getElementById('phone')!.classList.toggle('dev-open', open);
    for (const row of document.querySelectorAll<HTMLElement>('#log .message')) {
      if (open) row.tabIndex = 0;
      else row.removeAttribute('tabindex');
    }
  }

  setUser(userId: string): void {
    this.user.textContent = userId;
  }

  /** Shows a message's JSON; only while the panel is open, so readers can click bubbles freely. */
  show(message: object, row: HTMLElement): void {
    if (!this.isOpen) return;
    this.selected?.classList.remove('selected');
    this.selected = row;
    row.classList.add('selected');
    this.hint.hidden = true;
    const { trace, ...rest } = message as { trace?: { wechat?: WechatTrace } };
    // The XML exchanged with a target reads best as XML; any other trace (an API call) as JSON.
    const traced = trace?.wechat ? describeExchange(trace.wechat) : trace ? `\n\n── trace ──\n${JSON.stringify(trace, null, 2)}` : '';
    this.json.textContent = JSON.stringify(rest, null, 2) + traced;
  }

  /** Adds a platform API call at the end of the list, in the order the calls came. */
  addApiCall(call: ApiCall): void {
    const item = el('li', call.errcode === 0 ? 'api-call' : 'api-call failed');
    const time = new Date(call.at).toLocaleTimeString(undefined, { hour12: false });
    const head = el('div', 'api-head');
    head.append(el('span', 'api-time', time), ' ', el('span', 'api-method', call.method), ' ', el('span', 'api-path', call.path), ' → ', el('span', 'api-errcode', `${call.errcode} ${call.errmsg}`));
    item.append(head);
    if (call.body !== undefined) item.append(el('pre', 'api-body', typeof call.body === 'string' ? call.body : JSON.stringify(call.body)));
    this.apiList.append(item);
    while (this.apiList.childElementCount > MAX_API_CALLS) this.apiList.firstElementChild!.remove();
    this.apiSection.hidden = false;
    this.apiSection.scrollTop = this.apiSection.scrollHeight;
  }

  clear(): void {
    this.selected = undefined;
    this.hint.hidden = false;
    this.json.textContent = '';
  }
}

type WechatTrace = {
  url: string;
  request: string;
  outcome: string;
  attempts: Array<{ attempt: number; ms: number; status?: number; response?: string; error?: string }>;
};

/** The XML the simulator sent to the target server and what came back, attempt by attempt. */
function describeExchange(trace: WechatTrace): string {
  const parts = [`\n\n── XML sent to ${trace.url} ──\n${trace.request}`];
  for (const a of trace.attempts) {
    const status = a.status ? `HTTP ${a.status}` : 'no response';
    parts.push(`── attempt ${a.attempt}: ${status} in ${a.ms} ms${a.error ? ` (${a.error})` : ''} ──\n${a.response ?? ''}`);
  }
  parts.push(`── outcome: ${trace.outcome} ──`);
  return parts.join('\n\n');
}
