// The developer panel: who this window is (and the user's nickname and avatar), "New user", "Restart", "Export
// as flow", a message's raw JSON (with the XML exchanged with a target server), the location pages get, and the
// bridge and platform API calls.
import type { ApiCall } from '../../server/contract.ts';
import type { BridgeCall } from './bridge-host.ts';
import { API_CALLS_KEPT } from '../../server/limits.ts';
import { el } from './dom.ts';
import { ProfileEditor } from './profile-editor.ts';
import { DevFollowers, type DevFollowersActions } from './dev-followers.ts';

/** `watchApiCalls`: the panel opened (true) or closed (false); the window subscribes to the API-call stream while it is open. */
/** `locationChanged`: the user's location was set here (the server's report-location setting pushes it as LOCATION). */
export type DevPanelActions = { newUser: () => void; restart: () => void; exportFlow: () => void; watchApiCalls: (on: boolean) => void; locationChanged: (place: { latitude: number; longitude: number }) => void } & DevFollowersActions;

export class DevPanel {
  private readonly panel = document.getElementById('dev-panel')!;
  private readonly toggle = document.getElementById('dev-toggle') as HTMLButtonElement;
  private readonly user = document.getElementById('dev-user')!;
  private readonly json = document.getElementById('dev-json')!;
  private readonly hint = document.getElementById('dev-hint')!;
  private readonly apiSection = document.getElementById('dev-api')!;
  private readonly apiList = document.getElementById('dev-api-list')!;
  private readonly bridgeSection = document.getElementById('dev-bridge')!;
  private readonly bridgeList = document.getElementById('dev-bridge-list')!;
  private readonly latitude = document.getElementById('dev-latitude') as HTMLInputElement;
  private readonly longitude = document.getElementById('dev-longitude') as HTMLInputElement;
  private readonly profile = new ProfileEditor();
  private selected: HTMLElement | undefined;
  private readonly followers: DevFollowers;
  private userId = '';
  /** The calls listed, by id: the same call may come both in the subscription's answer and as an event. */
  private readonly calls = new Map<string, ApiCall>();

  constructor(private readonly actions: DevPanelActions) {
    this.toggle.addEventListener('click', () => this.setOpen(this.panel.hasAttribute('hidden')));
    this.followers = new DevFollowers(actions);
    this.apiSection.before(this.followers.root);
    document.getElementById('dev-new-user')!.addEventListener('click', actions.newUser);
    document.getElementById('dev-restart')!.addEventListener('click', actions.restart);
    document.getElementById('dev-export')!.addEventListener('click', actions.exportFlow);
    const place = storedLocation();
    this.latitude.value = String(place.latitude);
    this.longitude.value = String(place.longitude);
    const save = () => {
      const latitude = Number(this.latitude.value);
      const longitude = Number(this.longitude.value);
      if (this.latitude.value && this.longitude.value && Math.abs(latitude) <= 90 && Math.abs(longitude) <= 180) {
        localStorage.setItem(LOCATION_KEY, JSON.stringify({ latitude, longitude }));
        actions.locationChanged({ latitude, longitude });
      }
    };
    this.latitude.addEventListener('change', save);
    this.longitude.addEventListener('change', save);
  }

  /** The user's location for the pages' getLocation, as set here (a default until then). */
  location(): { latitude: number; longitude: number } {
    return storedLocation();
  }

  /** Adds a call of a page's bridge (its name, arguments and result) to the list. */
  addBridgeCall(call: BridgeCall): void {
    const item = el('li', call.result.errMsg === `${call.name}:ok` ? 'api-call' : 'api-call failed');
    const head = el('div', 'api-head');
    head.append(el('span', 'api-time', new Date(call.at).toLocaleTimeString(undefined, { hour12: false })), ' ', el('span', 'api-path', call.name), ' → ', el('span', 'api-errcode', String(call.result.errMsg)));
    item.append(head, el('pre', 'api-body', JSON.stringify(call.args)), el('pre', 'api-body', JSON.stringify(call.result)));
    this.bridgeList.append(item);
    while (this.bridgeList.childElementCount > API_CALLS_KEPT) this.bridgeList.firstElementChild!.remove();
    this.bridgeSection.hidden = false;
  }

  get isOpen(): boolean {
    return !this.panel.hasAttribute('hidden');
  }

  setOpen(open: boolean): void {
    if (open !== this.isOpen) this.actions.watchApiCalls(open);
    if (open) void this.followers.refresh(this.userId);
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
    void this.profile.show(userId);
    this.userId = userId;
    if (this.isOpen) void this.followers.refresh(userId);
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

  /** Adds a platform API call that just came at the end of the list. */
  addApiCall(call: ApiCall): void {
    if (this.calls.has(call.id)) return;
    this.calls.set(call.id, call);
    this.apiList.append(apiCallItem(call));
    this.trimApiCalls();
  }

  /** Lists the calls the server kept (made before the panel opened) with those already shown, in the order they were made. */
  showApiCalls(kept: ApiCall[]): void {
    for (const call of kept) this.calls.set(call.id, call);
    // Ids sort by the time they were made.
    const ordered = [...this.calls.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    this.calls.clear();
    for (const call of ordered) this.calls.set(call.id, call);
    this.apiList.replaceChildren(...ordered.map(apiCallItem));
    this.trimApiCalls();
  }

  /** Keeps the newest calls (enough to follow a session), shows the section once there is one, scrolled to the end. */
  private trimApiCalls(): void {
    while (this.apiList.childElementCount > API_CALLS_KEPT) {
      this.calls.delete(this.calls.keys().next().value!);
      this.apiList.firstElementChild!.remove();
    }
    if (this.calls.size === 0) return;
    this.apiSection.hidden = false;
    this.apiSection.scrollTop = this.apiSection.scrollHeight;
  }

  clear(): void {
    this.selected = undefined;
    this.hint.hidden = false;
    this.json.textContent = '';
  }
}

const LOCATION_KEY = 'oa-sim.location';
// Where getLocation puts a user who set no location: Guangzhou, WeChat's home.
const DEFAULT_LOCATION = { latitude: 23.1291, longitude: 113.2644 };

function storedLocation(): { latitude: number; longitude: number } {
  try {
    const stored = JSON.parse(localStorage.getItem(LOCATION_KEY) ?? 'null') as { latitude?: unknown; longitude?: unknown } | null;
    if (typeof stored?.latitude === 'number' && typeof stored.longitude === 'number') return { latitude: stored.latitude, longitude: stored.longitude };
  } catch {
    // A damaged entry: the default, until the user sets one again.
  }
  return DEFAULT_LOCATION;
}

/** One call as the list shows it: time, method, path, errcode and errmsg, and the body. */
function apiCallItem(call: ApiCall): HTMLElement {
  const item = el('li', call.errcode === 0 ? 'api-call' : 'api-call failed');
  const time = new Date(call.at).toLocaleTimeString(undefined, { hour12: false });
  const head = el('div', 'api-head');
  head.append(el('span', 'api-time', time), ' ', el('span', 'api-method', call.method), ' ', el('span', 'api-path', call.path), ' → ', el('span', 'api-errcode', `${call.errcode} ${call.errmsg}`));
  item.append(head);
  if (call.body !== undefined) item.append(el('pre', 'api-body', typeof call.body === 'string' ? call.body : JSON.stringify(call.body)));
  return item;
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
