// The chat window's end of the pages' bridge: it answers only the in-app browser's frame, and only while that
// frame shows a page of a pages host; wx.config goes to the simulator (POST /api/jsapi/verify), and then
// each API the page was granted runs as jsapi.ts says.
import type { ErrorBody } from '../../server/contract.ts';
import { BRIDGE_KEY, bridgeMessage, type HostMessage, type PageMessage } from '../bridge/protocol.ts';
import { JS_APIS, jsNameOf, type JsApiContext } from './jsapi.ts';

/** One bridge call, for the developer panel. */
export type BridgeCall = { at: string; name: string; args: Record<string, unknown>; result: Record<string, unknown> };

/** What the page's frame tells the in-app browser besides API calls. */
export type FrameEvents = {
  loaded: (href: string, title: string) => void;
  title: (title: string) => void;
  leaving: () => void;
  /** The page listens for `name` (jweixin's older share APIs listen for menu:share:*). */
  listens: (name: string) => void;
};

// The share calls jweixin makes after a menu:share:* event are granted by that event's permission.
const PERMISSION_OF: Record<string, string> = { sendAppMessage: 'menu:share:appmessage', shareTimeline: 'menu:share:timeline' };

type ConfigState = { state: 'none' | 'verifying' | 'failed' } | { state: 'ok'; jsApiList: string[] };

export class BridgeHost {
  private config: ConfigState = { state: 'none' };
  /** The origin of the page in the frame now (the one whose hello was answered). */
  private pageOrigin: string | undefined;
  /** chooseImage's localIds, for uploadImage. */
  private readonly localIds = new Map<string, string>();

  constructor(
    private readonly frame: HTMLIFrameElement,
    /** ".pages.localhost:3000": the pages hosts' common end, from the simulator's answer to POST /api/pages. */
    private readonly pagesSuffix: () => string | undefined,
    private readonly context: JsApiContext & FrameEvents,
    private readonly log: (call: BridgeCall) => void,
  ) {
    window.addEventListener('message', (event) => this.receive(event));
  }

  /** Sends `message` to the page in the frame, to its origin only. */
  post(message: HostMessage): void {
    if (this.pageOrigin) this.frame.contentWindow?.postMessage({ [BRIDGE_KEY]: message }, this.pageOrigin);
  }

  /** Forgets the page: the frame is closed or goes elsewhere. */
  reset(): void {
    this.pageOrigin = undefined;
    this.config = { state: 'none' };
  }

  /** Whether `origin` is a page of a pages host (one label under the pages domain, on the simulator's port). */
  private fromPagesHost(origin: string): boolean {
    const suffix = this.pagesSuffix();
    if (!suffix || !origin.startsWith('http://') || !origin.endsWith(suffix)) return false;
    const label = origin.slice('http://'.length, -suffix.length);
    return /^[a-z0-9-]+$/.test(label);
  }

  private receive(event: MessageEvent): void {
    // Only the in-app browser's frame, and only while it shows a proxied page: never another frame or window.
    if (event.source !== this.frame.contentWindow || !this.fromPagesHost(event.origin)) return;
    const message = bridgeMessage<PageMessage>(event.data);
    if (!message) return;
    if (message.type === 'hello') {
      this.pageOrigin = event.origin;
      this.config = { state: 'none' };
      this.post({ type: 'welcome' });
      return;
    }
    if (event.origin !== this.pageOrigin) return;
    if (message.type === 'loaded') this.context.loaded(String(message.href), String(message.title));
    else if (message.type === 'title') this.context.title(String(message.title));
    else if (message.type === 'leaving') this.context.leaving();
    else if (message.type === 'on') this.context.listens(String(message.name));
    else if (message.type === 'invoke') void this.invoke(message.id, String(message.name), message.args ?? {}, String(message.href));
  }

  private async invoke(id: number, name: string, args: Record<string, unknown>, href: string): Promise<void> {
    const origin = this.pageOrigin;
    let result: Record<string, unknown>;
    try {
      result = name === 'preVerifyJSAPI' ? await this.verify(args, href) : await this.run(name, args);
    } catch (err) {
      result = { errMsg: `${jsNameOf(name)}:fail, ${(err as Error).message}` };
    }
    this.log({ at: new Date().toISOString(), name: jsNameOf(name), args: withoutVerify(args), result });
    // The page may have gone meanwhile: a new page gets no answer meant for the old one.
    if (origin === this.pageOrigin) this.post({ type: 'result', id, result });
  }

  private async verify(args: Record<string, unknown>, href: string): Promise<Record<string, unknown>> {
    this.config = { state: 'verifying' };
    const res = await fetch('/api/jsapi/verify', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ url: href.replace(/#.*$/s, ''), appId: args.verifyAppId, timestamp: args.verifyTimestamp, nonceStr: args.verifyNonceStr, signature: args.verifySignature, jsApiList: args.verifyJsApiList }),
    });
    const answer = (await res.json()) as { errMsg?: string; jsApiList?: string[]; detail?: string; error?: ErrorBody };
    if (!res.ok || !answer.errMsg) throw new Error(answer.error?.message ?? `the simulator answered ${res.status}`);
    this.config = answer.errMsg === 'config:ok' ? { state: 'ok', jsApiList: answer.jsApiList ?? [] } : { state: 'failed' };
    return answer.detail ? { errMsg: answer.errMsg, detail: answer.detail } : { errMsg: answer.errMsg };
  }

  private async run(name: string, args: Record<string, unknown>): Promise<Record<string, unknown>> {
    const jsName = jsNameOf(name);
    if (this.config.state === 'verifying') return { errMsg: `${jsName}:the permission value is offline verifying` };
    if (this.config.state !== 'ok' || !this.config.jsApiList.includes(PERMISSION_OF[name] ?? name)) return { errMsg: `${jsName}:permission denied` };
    const api = JS_APIS[name];
    if (!api) return { errMsg: `${jsName}:function not exist` };
    return api(args, this.context, this.localIds);
  }
}

/** A call's own arguments, without the verify* fields jweixin adds to every one. */
function withoutVerify(args: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(args).filter(([key]) => !/^verify(AppId|SignType|Timestamp|NonceStr|Signature)$|^appId$/.test(key)));
}
