// The bridge in every page of the in-app browser, before the page's own scripts: WeChat's user agent,
// window.WeixinJSBridge (jweixin's only way to WeChat), and links kept inside the in-app browser. It talks to
// the chat window by postMessage, to the origin that answered its hello and to no other.
import { labelOf } from '../../server/pages/page-hosts.ts';
import { WECHAT_USER_AGENT } from '../../server/pages/wechat-user-agent.ts';
import { BRIDGE_KEY, bridgeMessage, type HostMessage, type PageMessage } from './protocol.ts';

type Callback = (result: Record<string, unknown>) => void;

// The parent cannot set a frame's user agent; the page must see the one its server saw.
Object.defineProperty(Navigator.prototype, 'userAgent', { get: () => WECHAT_USER_AGENT, configurable: true });
Object.defineProperty(Navigator.prototype, 'appVersion', { get: () => WECHAT_USER_AGENT.replace(/^Mozilla\//, ''), configurable: true });

let chatOrigin: string | undefined;
const waiting: PageMessage[] = [];
const callbacks = new Map<number, Callback>();
const listeners = new Map<string, Callback[]>();
let nextId = 1;

function send(message: PageMessage): void {
  if (chatOrigin) window.parent.postMessage({ [BRIDGE_KEY]: message }, chatOrigin);
  else waiting.push(message);
}

window.addEventListener('message', (event) => {
  if (event.source !== window.parent || window.parent === window) return;
  const message = bridgeMessage<HostMessage>(event.data);
  if (!message) return;
  if (message.type === 'welcome') {
    if (chatOrigin) return;
    chatOrigin = event.origin;
    send({ type: 'loaded', href: location.href, title: document.title });
    for (const queued of waiting.splice(0)) send(queued);
    return;
  }
  if (event.origin !== chatOrigin) return;
  if (message.type === 'result') {
    const callback = callbacks.get(message.id);
    callbacks.delete(message.id);
    callback?.(message.result);
  } else if (message.type === 'event') for (const listener of listeners.get(message.name) ?? []) listener(message.data);
  else if (message.type === 'back') history.back();
  else if (message.type === 'reload') location.reload();
});

const bridge = {
  /** jweixin's call into WeChat: `name` is the native API name, `callback` gets `{ errMsg, … }`. */
  invoke(name: string, args: Record<string, unknown> | undefined, callback?: Callback): void {
    const id = nextId++;
    if (callback) callbacks.set(id, callback);
    send({ type: 'invoke', id, name: String(name), args: { ...(args ?? {}) }, href: location.href });
  },
  /** WeChat's events for the page (menu:share:appmessage when the user shares). */
  on(name: string, callback: Callback): void {
    listeners.set(name, [...(listeners.get(name) ?? []), callback]);
    send({ type: 'on', name: String(name) });
  },
  call(name: string, callback?: Callback): void {
    bridge.invoke(name, {}, callback);
  },
};
Object.defineProperty(window, 'WeixinJSBridge', { value: Object.freeze(bridge), configurable: false, writable: false });

const pagesDomain = location.hostname.slice(location.hostname.indexOf('.') + 1);
const AUTHORIZE = /^https:\/\/open\.weixin\.qq\.com\/connect\/oauth2\/authorize(\?|$)/;

/** An absolute link of the page as the in-app browser follows it: its origin's pages host, WeChat's authorize page at the simulator. */
function insideBrowser(href: string): string | undefined {
  if (!URL.canParse(href)) return undefined;
  const url = new URL(href);
  if (url.origin === location.origin || (url.protocol !== 'http:' && url.protocol !== 'https:')) return undefined;
  if (AUTHORIZE.test(url.href) && chatOrigin) return `${chatOrigin}${url.pathname}${url.search}`;
  // A page's link to its own original origin, or another: the proxy serves it or says why not.
  if (url.hostname.endsWith(`.${pagesDomain}`) || url.origin === chatOrigin) return undefined;
  const labelled = labelOf(url.origin);
  return 'label' in labelled ? `${location.protocol}//${labelled.label}.${pagesDomain}:${location.port}${url.pathname}${url.search}${url.hash}` : undefined;
}

// Rewritten as they are followed, so that the page's DOM stays as its scripts made it.
document.addEventListener(
  'click',
  (event) => {
    const link = (event.target as Element | null)?.closest?.('a[href]') as HTMLAnchorElement | null;
    const inside = link && insideBrowser(link.href);
    if (inside) link.href = inside;
    if (link?.target === '_blank') link.target = '_self';
  },
  true,
);
document.addEventListener(
  'submit',
  (event) => {
    const form = event.target as HTMLFormElement;
    const inside = insideBrowser(form.action);
    if (inside) form.action = inside;
  },
  true,
);
// window.open stays in the in-app browser too, as WeChat's does.
window.open = (url?: string | URL) => {
  if (url !== undefined) location.assign(insideBrowser(new URL(String(url), location.href).href) ?? String(url));
  return null;
};

window.addEventListener('pagehide', () => send({ type: 'leaving' }));
document.addEventListener('DOMContentLoaded', () => {
  const title = document.querySelector('title');
  if (title) new MutationObserver(() => send({ type: 'title', title: document.title })).observe(title, { childList: true, characterData: true, subtree: true });
});
// Nothing in the hello: any page may be this page's parent until one answers.
if (window.parent !== window) window.parent.postMessage({ [BRIDGE_KEY]: { type: 'hello' } satisfies PageMessage }, '*');
document.addEventListener('DOMContentLoaded', () => document.dispatchEvent(new Event('WeixinJSBridgeReady')));
