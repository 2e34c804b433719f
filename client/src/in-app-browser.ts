// WeChat's in-app browser inside the phone: the page in a frame of its own (served by the simulator under
// PAGES_HOST), a title bar with the page's title, Back, Close and More (the share sheet), a progress bar. The
// simulator's own pages (the article bot's sections) show in the same chrome, without a frame.
import type { ErrorBody, PageAuthorizeAnswer } from '../../server/contract.ts';
import { AUTHORIZE_PAGE_PATH } from '../../server/pages/authorize-address.ts';
import { originOfLabel } from '../../server/pages/page-hosts.ts';
import { BridgeHost, type BridgeCall } from './bridge-host.ts';
import { ConsentSheet, type Consent } from './consent-sheet.ts';
import { el } from './dom.ts';
import type { JsApiContext, ShareData } from './jsapi.ts';

/** One of the simulator's own pages: its content is in the chat window's DOM; Back and Close leave it through `back`. */
export type OwnPage = { barTitle: string; title: () => string; url: string; content: HTMLElement; back: () => void; refresh: () => void };

export type InAppBrowserActions = {
  userId: () => string;
  /** "Send to chat": the page as a link message. */
  sendLink: (link: { title: string; description?: string; url: string }) => void;
  previewImage: (src: string) => void;
  chooseImage: () => Promise<{ url: string; mediaId: string } | undefined>;
  location: () => { latitude: number; longitude: number };
  logCall: (call: BridgeCall) => void;
  /** WeChat Pay's sheet for a page's getBrandWCPayRequest. */
  pay: JsApiContext['pay'];
};

// The More sheet's items and the menuItem names pages hide and show them by.
const SHEET_ITEMS = [
  { action: 'send', label: 'Send to chat', menuItem: 'menuItem:share:appMessage' },
  { action: 'moments', label: 'Share to Moments', menuItem: 'menuItem:share:timeline' },
  { action: 'copy', label: 'Copy link', menuItem: 'menuItem:copyUrl' },
  { action: 'refresh', label: 'Refresh', menuItem: 'menuItem:refresh' },
  { action: 'open', label: 'Open in browser', menuItem: 'menuItem:openWithSafari' },
] as const;

export class InAppBrowser {
  private readonly root = document.getElementById('browser')!;
  private readonly title = document.getElementById('browser-title')!;
  private readonly frame = document.getElementById('browser-frame') as HTMLIFrameElement;
  private readonly notice = document.getElementById('browser-notice')!;
  private readonly progress = document.getElementById('browser-progress')!;
  private readonly back = document.getElementById('browser-back') as HTMLButtonElement;
  private readonly more = document.getElementById('browser-more') as HTMLButtonElement;
  private readonly sheet = document.getElementById('browser-sheet')!;
  private readonly sharePreview = document.getElementById('share-preview')!;
  private readonly bridge: BridgeHost;
  private readonly consent = new ConsentSheet();
  private pagesSuffix: string | undefined;
  /** The page's URLs as it went (its original address for Copy link / Open in browser), for Back. */
  private visited: string[] = [];
  private goingBack = false;
  private share: { appMessage?: ShareData; timeline?: ShareData } = {};
  private readonly listened = new Set<string>();
  private readonly hiddenItems = new Set<string>();
  private returnFocus: HTMLElement | null = null;
  private ownPage: OwnPage | undefined;

  constructor(private readonly actions: InAppBrowserActions) {
    this.bridge = new BridgeHost(this.frame, () => this.pagesSuffix, {
      loaded: (href, title) => this.loaded(href, title),
      title: (title) => (this.title.textContent = title || this.currentUrl()),
      leaving: () => this.setLoading(true),
      listens: (name) => this.listened.add(name),
      authorize: (query) => void this.authorize(query),
      share: (kind, data) => (this.share[kind] = data),
      chooseImage: actions.chooseImage,
      previewImage: actions.previewImage,
      location: actions.location,
      openLocation: (place) => this.showNotice(`📍 ${place.name ?? 'Location'}${place.address ? ` — ${place.address}` : ''} (${place.latitude}, ${place.longitude})`),
      scan: () => window.prompt('Scan a QR code: the text it holds'),
      close: () => this.close(),
      hideMenuItems: (items, hidden) => items.forEach((item) => (hidden ? this.hiddenItems.add(item) : this.hiddenItems.delete(item))),
      setOptionMenu: (shown) => (this.more.hidden = !shown),
      pay: actions.pay,
    }, actions.logCall);
    this.frame.addEventListener('load', () => {
      // The blank page that closing or reopening leaves may finish after the next page began: not the end of that one.
      if (this.frame.contentDocument?.URL === 'about:blank') return;
      this.setLoading(false);
    });
    document.getElementById('browser-close')!.addEventListener('click', () => this.close());
    this.back.addEventListener('click', () => {
      if (this.ownPage) return this.ownPage.back();
      this.goingBack = true;
      this.bridge.post({ type: 'back' });
    });
    this.more.addEventListener('click', () => this.openSheet());
    document.getElementById('sheet-cancel')!.addEventListener('click', () => this.closeSheet());
    for (const item of SHEET_ITEMS) document.querySelector(`#browser-sheet [data-action="${item.action}"]`)!.addEventListener('click', () => this.act(item.action));
    this.root.addEventListener('keydown', (event) => {
      if (event.key === 'Escape' && !this.consent.isOpen) this.sheet.hidden ? this.close() : this.closeSheet();
    });
  }

  get isOpen(): boolean {
    return !this.root.hidden;
  }

  /** Opens `url` (a link the chat shows): the simulator says where it is served, or why it is not. */
  async open(url: string, from?: HTMLElement | null): Promise<void> {
    this.returnFocus = from ?? (document.activeElement as HTMLElement | null);
    this.reset();
    this.root.hidden = false;
    this.title.textContent = url;
    this.setLoading(true);
    document.getElementById('browser-close')!.focus();
    const res = await fetch('/api/pages', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ userId: this.actions.userId(), url }) }).catch(() => undefined);
    const answer = (await res?.json().catch(() => undefined)) as { url?: string; origin?: string; error?: ErrorBody } | undefined;
    if (!res?.ok || !answer?.url || !answer.origin) {
      this.setLoading(false);
      this.visited = [url];
      this.showNotice(answer?.error?.message ?? 'The simulator cannot be reached.');
      return;
    }
    this.pagesSuffix = answer.origin.slice(answer.origin.indexOf('.'));
    this.frame.hidden = false;
    this.frame.src = answer.url;
  }

  /** Shows one of the simulator's own pages in the browser's chrome: Back is always there, and leaves it. */
  showOwnPage(page: OwnPage, from?: HTMLElement | null): void {
    if (!this.ownPage) this.returnFocus = from ?? (document.activeElement as HTMLElement | null);
    this.reset();
    this.ownPage = page;
    this.root.hidden = false;
    this.title.textContent = page.barTitle;
    page.content.hidden = false;
    this.back.hidden = false;
    this.back.focus();
  }

  /** A new title bar for the own page shown (the account's name, once known). */
  retitleOwnPage(barTitle: string): void {
    if (this.ownPage) this.title.textContent = this.ownPage.barTitle = barTitle;
  }

  /** Takes the own page away (its route is left) and closes the browser. */
  closeOwnPage(): void {
    if (!this.ownPage) return;
    this.ownPage.content.hidden = true;
    this.ownPage = undefined;
    this.close();
  }

  close(): void {
    if (!this.isOpen) return;
    // An own page closes through its route, so the address and history stay as the page left them.
    if (this.ownPage) return this.ownPage.back();
    this.reset();
    this.root.hidden = true;
    this.returnFocus?.focus({ preventScroll: true });
  }

  private reset(): void {
    if (this.ownPage) this.ownPage.content.hidden = true;
    this.ownPage = undefined;
    this.bridge.reset();
    this.closeSheet();
    this.consent.settle(undefined);
    this.frame.src = 'about:blank';
    this.frame.hidden = true;
    this.notice.hidden = true;
    this.more.hidden = false;
    this.visited = [];
    this.share = {};
    this.listened.clear();
    this.hiddenItems.clear();
    this.back.hidden = true;
  }

  /**
   * The frame reached the authorize page: the chat's own user signs in (snsapi_base at once, snsapi_userinfo
   * after the consent sheet), and the page goes on to its redirect_uri, or shows WeChat's error page.
   */
  private async authorize(query: string, consent?: Consent): Promise<void> {
    this.setLoading(true);
    const res = await fetch('/api/pages/authorize', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ userId: this.actions.userId(), query, consent }) }).catch(() => undefined);
    const answer = (await res?.json().catch(() => undefined)) as (PageAuthorizeAnswer & { error?: ErrorBody }) | undefined;
    if (!res?.ok || !answer?.next) {
      this.setLoading(false);
      this.showNotice(answer?.error?.message ?? 'The simulator cannot be reached.');
      return;
    }
    if (answer.next === 'load') return this.bridge.post({ type: 'replace', url: answer.url });
    this.setLoading(false);
    if (answer.next === 'refused') return this.bridge.post({ type: 'refused', errcode: answer.errcode, message: answer.message });
    // No answer: the browser was closed or went elsewhere meanwhile.
    const given = await this.consent.ask(answer);
    if (given) await this.authorize(query, given);
  }

  /** A page came into the frame: a new one, or the one before after Back. */
  private loaded(href: string, title: string): void {
    this.title.textContent = title || originalOf(href);
    // The authorize page leaves no trace in the page's history: it goes on with location.replace.
    if (new URL(href).pathname === AUTHORIZE_PAGE_PATH) return;
    const original = originalOf(href);
    if (this.goingBack) this.visited.pop();
    else if (this.visited.at(-1) !== original) this.visited.push(original);
    this.goingBack = false;
    this.share = {};
    this.listened.clear();
    this.back.hidden = this.visited.length < 2;
    this.setLoading(false);
  }

  /** What the page is called when it is shared: an own page's title, or what the title bar shows. */
  private pageTitle(): string {
    return this.ownPage?.title() ?? this.title.textContent ?? '';
  }

  private currentUrl(): string {
    return this.ownPage?.url ?? this.visited.at(-1) ?? '';
  }

  private setLoading(on: boolean): void {
    this.progress.hidden = !on;
    this.root.setAttribute('aria-busy', String(on));
  }

  private showNotice(text: string): void {
    this.notice.textContent = text;
    this.notice.hidden = false;
  }

  private openSheet(): void {
    const data = this.share.appMessage ?? this.share.timeline;
    this.sharePreview.replaceChildren();
    if (data?.title || data?.desc) {
      if (data.imgUrl && /^https?:/.test(data.imgUrl)) {
        const img = el('img', 'share-image');
        img.src = data.imgUrl;
        img.alt = '';
        this.sharePreview.append(img);
      }
      const text = el('div', 'share-text');
      text.append(el('div', 'share-title', data.title ?? ''), el('div', 'share-desc', data.desc ?? ''));
      this.sharePreview.append(text);
    } else this.sharePreview.append(el('div', 'share-desc', this.pageTitle()));
    for (const item of SHEET_ITEMS) (document.querySelector(`#browser-sheet [data-action="${item.action}"]`) as HTMLElement).hidden = this.hiddenItems.has(item.menuItem);
    this.sheet.hidden = false;
    (this.sheet.querySelector('button:not([hidden])') as HTMLElement | null)?.focus();
  }

  private closeSheet(): void {
    if (this.sheet.hidden) return;
    this.sheet.hidden = true;
    this.more.focus();
  }

  private act(action: (typeof SHEET_ITEMS)[number]['action']): void {
    this.closeSheet();
    const url = this.currentUrl();
    if (action === 'send') {
      // Pages of jweixin's older API set their data when WeChat asks (menu:share:appmessage).
      if (this.listened.has('menu:share:appmessage')) this.bridge.post({ type: 'event', name: 'menu:share:appmessage', data: {} });
      const data = this.share.appMessage ?? {};
      this.actions.sendLink({ title: data.title || this.pageTitle() || url, description: data.desc, url: data.link || url });
    } else if (action === 'moments') {
      if (this.listened.has('menu:share:timeline')) this.bridge.post({ type: 'event', name: 'menu:share:timeline', data: {} });
      const data = this.share.timeline ?? this.share.appMessage ?? {};
      this.showNotice(`Shared to Moments: ${data.title || this.pageTitle()}`);
    } else if (action === 'copy') void navigator.clipboard?.writeText(url).then(() => this.showNotice('Link copied.'), () => this.showNotice(url));
    else if (action === 'refresh' && this.ownPage) this.ownPage.refresh();
    else if (action === 'refresh') {
      this.setLoading(true);
      this.bridge.post({ type: 'reload' });
    } else window.open(url, '_blank', 'noopener');
  }
}

/** The original address a pages-host URL stands for, as the page's server names it (for Copy link and Open in browser). */
function originalOf(href: string): string {
  const url = new URL(href);
  const label = url.hostname.slice(0, url.hostname.indexOf('.'));
  const origin = originOfLabel(label);
  return origin ? new URL(`${url.pathname}${url.search}`, origin).href : href;
}

