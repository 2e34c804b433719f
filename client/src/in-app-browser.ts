// WeChat's in-app browser inside the phone: the page in a frame of its own (served by the simulator under
// PAGES_HOST), a title bar with the page's title, Back, Close and More (the share sheet), a progress bar.
import type { ErrorBody } from '../../server/contract.ts';
import { originOfLabel } from '../../server/pages/page-hosts.ts';
import { BridgeHost, type BridgeCall } from './bridge-host.ts';
import { el } from './dom.ts';
import type { ShareData } from './jsapi.ts';

export type InAppBrowserActions = {
  userId: () => string;
  /** "Send to chat": the page as a link message. */
  sendLink: (link: { title: string; description?: string; url: string }) => void;
  previewImage: (src: string) => void;
  chooseImage: () => Promise<{ url: string; mediaId: string } | undefined>;
  location: () => { latitude: number; longitude: number };
  logCall: (call: BridgeCall) => void;
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
  private pagesSuffix: string | undefined;
  /** The page's URLs as it went (its original address for Copy link / Open in browser), for Back. */
  private visited: string[] = [];
  private goingBack = false;
  private share: { appMessage?: ShareData; timeline?: ShareData } = {};
  private readonly listened = new Set<string>();
  private readonly hiddenItems = new Set<string>();
  private returnFocus: HTMLElement | null = null;

  constructor(private readonly actions: InAppBrowserActions) {
    this.bridge = new BridgeHost(this.frame, () => this.pagesSuffix, {
      loaded: (href) => this.loaded(href),
      title: (title) => (this.title.textContent = title || this.currentUrl()),
      leaving: () => this.setLoading(true),
      listens: (name) => this.listened.add(name),
      share: (kind, data) => (this.share[kind] = data),
      chooseImage: actions.chooseImage,
      previewImage: actions.previewImage,
      location: actions.location,
      openLocation: (place) => this.showNotice(`📍 ${place.name ?? 'Location'}${place.address ? ` — ${place.address}` : ''} (${place.latitude}, ${place.longitude})`),
      scan: () => window.prompt('Scan a QR code: the text it holds'),
      close: () => this.close(),
      hideMenuItems: (items, hidden) => items.forEach((item) => (hidden ? this.hiddenItems.add(item) : this.hiddenItems.delete(item))),
      setOptionMenu: (shown) => (this.more.hidden = !shown),
    }, actions.logCall);
    this.frame.addEventListener('load', () => this.setLoading(false));
    document.getElementById('browser-close')!.addEventListener('click', () => this.close());
    this.back.addEventListener('click', () => {
      this.goingBack = true;
      this.bridge.post({ type: 'back' });
    });
    this.more.addEventListener('click', () => this.openSheet());
    document.getElementById('sheet-cancel')!.addEventListener('click', () => this.closeSheet());
    for (const item of SHEET_ITEMS) document.querySelector(`#browser-sheet [data-action="${item.action}"]`)!.addEventListener('click', () => this.act(item.action));
    this.root.addEventListener('keydown', (event) => {
      if (event.key === 'Escape') this.sheet.hidden ? this.close() : this.closeSheet();
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

  close(): void {
    if (!this.isOpen) return;
    this.reset();
    this.root.hidden = true;
    this.returnFocus?.focus({ preventScroll: true });
  }

  private reset(): void {
    this.bridge.reset();
    this.closeSheet();
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

  /** A page came into the frame: a new one, or the one before after Back. */
  private loaded(href: string): void {
    const original = originalOf(href);
    if (this.goingBack) this.visited.pop();
    else if (this.visited.at(-1) !== original) this.visited.push(original);
    this.goingBack = false;
    this.share = {};
    this.listened.clear();
    this.back.hidden = this.visited.length < 2;
    this.setLoading(false);
  }

  private currentUrl(): string {
    return this.visited.at(-1) ?? '';
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
    } else this.sharePreview.append(el('div', 'share-desc', this.title.textContent ?? ''));
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
      this.actions.sendLink({ title: data.title || this.title.textContent || url, description: data.desc, url: data.link || url });
    } else if (action === 'moments') {
      if (this.listened.has('menu:share:timeline')) this.bridge.post({ type: 'event', name: 'menu:share:timeline', data: {} });
      const data = this.share.timeline ?? this.share.appMessage ?? {};
      this.showNotice(`Shared to Moments: ${data.title || this.title.textContent}`);
    } else if (action === 'copy') void navigator.clipboard?.writeText(url).then(() => this.showNotice('Link copied.'), () => this.showNotice(url));
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

