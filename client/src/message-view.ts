// The message list: bubbles and cards of every type, time stamps, pending and failed sends, the typing indicator.
import type { Account, Inbound, OptionItem, StoredMessage } from '../../server/contract.ts';
// WeChat drops the typing indicator after TYPING_MAX_MS even when the server never cancels it.
import { TYPING_MAX_MS } from '../../server/limits.ts';
import { button, el } from './dom.ts';
import { formatTime, hueOf, initialOf, needsTimestamp, safeHref } from './format.ts';
import type { Pending } from './outbox.ts';
import { renderImage, renderPlayable } from './render-media.ts';
import { renderNews } from './render-news.ts';
import { renderOptions } from './render-options.ts';
import { renderTemplate } from './render-template.ts';
import { renderLink, renderLocation } from './render-shared.ts';

type Shown = StoredMessage | (Inbound & { from: 'user'; pending: true });

export type MessageViewActions = {
  /** A message was clicked (the developer panel shows it). */
  select: (message: Shown, element: HTMLElement) => void;
  openPicture: (src: string, from: HTMLElement) => void;
  tapOption: (item: OptionItem) => void;
};

/** What a user's click or event message looks like in the chat, since WeChat shows no bubble for it. */
function describeEvent(inbound: Extract<Inbound, { type: 'event' }>, account: Account): string {
  const items = account.menu.flatMap((b) => [b, ...(b.sub ?? [])]);
  if (inbound.event === 'view') return `You opened “${items.find((i) => i.url === inbound.url)?.name ?? inbound.url}”`;
  if (inbound.event === 'click') return `You tapped “${items.find((i) => i.key === inbound.key)?.name ?? inbound.key}”`;
  if (inbound.event === 'scan') return 'You scanned a QR code of the account';
  return inbound.event === 'subscribe' ? 'You followed the account' : 'You unfollowed the account';
}

export class MessageView {
  private readonly byId = new Map<string, HTMLElement>();
  /** Stored messages in the order they are shown, for "Export as flow". */
  private readonly shown: StoredMessage[] = [];
  private readonly byClientId = new Map<string, HTMLElement>();
  private lastTime: string | undefined;
  private indicator: HTMLElement | undefined;
  /** Sends waiting for their answer. */
  private waiting = 0;
  private typingTimer: number | undefined;

  /** Whether the reader was at the newest message, so a picture that loads later keeps them there. */
  private atEnd = true;

  constructor(
    private readonly log: HTMLElement,
    private account: Account,
    private readonly actions: MessageViewActions,
  ) {
    log.addEventListener('scroll', () => (this.atEnd = this.nearEnd(2)));
    // `load` does not bubble; capturing sees every picture that arrives and grows its row.
    log.addEventListener('load', () => this.atEnd && this.scrollToEnd(), true);
  }

  setAccount(account: Account): void {
    this.account = account;
  }

  get messages(): readonly StoredMessage[] {
    return this.shown;
  }

  /** The user's message whose push to the target failed, when `message` is it or the notice answering it. */
  failedPushOf(message: object): StoredMessage | undefined {
    const failed = (m: object | undefined) => (m as { trace?: { wechat?: { outcome?: string } } } | undefined)?.trace?.wechat?.outcome === 'failed';
    if (failed(message)) return message as StoredMessage;
    const replyTo = (message as { replyTo?: string }).replyTo;
    const pushed = replyTo === undefined ? undefined : this.shown.find((m) => m.id === replyTo);
    return failed(pushed) ? pushed : undefined;
  }

  clear(): void {
    this.shown.length = 0;
    this.log.replaceChildren();
    this.byId.clear();
    this.byClientId.clear();
    this.lastTime = undefined;
    this.indicator = undefined;
    this.setTyping(false);
  }

  /** Shows a stored message once; a user's own message replaces its pending bubble; a bot message ends "typing". */
  addStored(message: StoredMessage): void {
    if (this.byId.has(message.id)) return;
    this.shown.push(message);
    if (message.from === 'bot') this.setTyping(false);
    const clientId = 'clientId' in message ? message.clientId : undefined;
    const pending = clientId ? this.byClientId.get(clientId) : undefined;
    if (pending) {
      pending.classList.remove('pending', 'failed');
      pending.querySelector('.status')?.remove();
      pending.dataset.id = message.id;
      this.byId.set(message.id, pending);
      this.byClientId.delete(clientId!);
      this.bindSelect(pending, message);
      // Where the server put it: after what it stored first (a welcome that came while this was queued).
      this.append(pending, message.createdAt);
      return;
    }
    const row = this.render(message);
    row.dataset.id = message.id;
    this.byId.set(message.id, row);
    this.append(row, message.createdAt);
  }

  addPending(item: Pending): void {
    if (this.byClientId.has(item.clientId)) return;
    const row = this.render({ ...item.inbound, from: 'user', pending: true });
    row.classList.add('pending');
    row.dataset.clientId = item.clientId;
    row.querySelector('.content')!.append(el('span', 'status', 'Sending…'));
    this.byClientId.set(item.clientId, row);
    this.append(row, new Date().toISOString());
  }

  /** Shows why a message was not sent, with a retry. */
  markFailed(item: Pending, retry: () => void): void {
    const row = this.byClientId.get(item.clientId);
    if (!row) return;
    row.classList.remove('pending');
    row.classList.add('failed');
    const status = row.querySelector('.status') ?? row.querySelector('.content')!.appendChild(el('span', 'status'));
    status.replaceChildren(el('span', 'error', `Not sent: ${item.failed?.message ?? 'unknown error'}`), ' ', button('retry', 'Retry', retry));
  }

  markPendingAgain(clientId: string): void {
    const row = this.byClientId.get(clientId);
    if (!row) return;
    row.classList.remove('failed');
    row.classList.add('pending');
    row.querySelector('.status')?.replaceChildren('Sending…');
  }

  /** Counts sends waiting for their answer; the typing indicator shows while any is. */
  setWaiting(delta: 1 | -1): void {
    this.waiting = Math.max(0, this.waiting + delta);
    this.refreshIndicator();
  }

  /** The server under test says it is typing (or stopped): shown for 15 s at most, ended by its next message. */
  setTyping(on: boolean): void {
    window.clearTimeout(this.typingTimer);
    this.typingTimer = on ? window.setTimeout(() => this.setTyping(false), TYPING_MAX_MS) : undefined;
    this.refreshIndicator();
  }

  scrollToEnd(): void {
    this.log.scrollTop = this.log.scrollHeight;
  }

  private refreshIndicator(): void {
    const show = this.waiting > 0 || this.typingTimer !== undefined;
    if (show && !this.indicator) {
      this.indicator = this.row('bot');
      this.indicator.classList.add('typing');
      this.indicator.setAttribute('aria-label', `${this.account.name} is typing`);
      const bubble = el('div', 'bubble');
      bubble.append(el('span', 'dot'), el('span', 'dot'), el('span', 'dot'));
      this.indicator.querySelector('.content')!.append(bubble);
      this.log.append(this.indicator);
      this.scrollToEnd();
    } else if (!show && this.indicator) {
      this.indicator.remove();
      this.indicator = undefined;
    }
  }

  private nearEnd(margin: number): boolean {
    return this.log.scrollHeight - this.log.scrollTop - this.log.clientHeight < margin;
  }

  private append(row: HTMLElement, createdAt: string): void {
    const nearEnd = this.nearEnd(120);
    if (needsTimestamp(this.lastTime, createdAt)) {
      const stamp = el('div', 'timestamp', formatTime(createdAt));
      this.log.insertBefore(stamp, this.indicator ?? null);
    }
    this.lastTime = createdAt;
    this.log.insertBefore(row, this.indicator ?? null);
    if (nearEnd || row.classList.contains('user')) this.scrollToEnd();
  }

  private row(from: 'user' | 'bot'): HTMLElement {
    const row = el('div', `message ${from}`);
    const avatar = el('div', 'avatar');
    avatar.setAttribute('aria-hidden', 'true');
    if (from === 'bot' && this.account.avatarUrl && safeHref(this.account.avatarUrl)) {
      const img = el('img');
      img.src = safeHref(this.account.avatarUrl)!;
      img.alt = '';
      avatar.append(img);
    } else {
      avatar.textContent = from === 'bot' ? initialOf(this.account.name) : 'Me';
      if (from === 'bot') avatar.style.background = `hsl(${hueOf(this.account.name)} 55% 45%)`;
    }
    row.append(avatar, el('div', 'content'));
    return row;
  }

  private render(message: Shown): HTMLElement {
    if (message.type === 'event') {
      const note = el('div', 'message event-note', describeEvent(message, this.account));
      note.append(el('div', 'content'));
      if (!('pending' in message)) this.bindSelect(note, message);
      return note;
    }
    const row = this.row(message.from);
    row.querySelector('.content')!.append(this.body(message));
    if (!('pending' in message)) this.bindSelect(row, message);
    return row;
  }

  /** What goes in the row beside the avatar, by message type. */
  private body(message: Exclude<Shown, { type: 'event' }>): HTMLElement {
    switch (message.type) {
      case 'text':
        return textBubble(message.text);
      case 'news':
        return renderNews(message.articles);
      case 'image':
        return renderImage(message.url, this.actions.openPicture);
      case 'voice':
      case 'video':
        return renderPlayable(message);
      case 'template':
        return renderTemplate(message, 'createdAt' in message ? message.createdAt : new Date().toISOString());
      case 'options':
        return renderOptions(message, this.actions.tapOption);
      case 'location':
        return renderLocation(message);
      case 'link':
        return renderLink(message);
    }
  }

  private bindSelect(row: HTMLElement, message: Shown): void {
    row.onclick = (event) => {
      if ((event.target as HTMLElement).closest('a, button, audio, video')) return;
      this.actions.select(message, row);
    };
    row.onkeydown = (event) => {
      if (event.key === 'Enter' && event.target === row) this.actions.select(message, row);
    };
  }
}

// A bare http(s) URL in a text is a link, as in WeChat; the rest stays text.
const BARE_URL = /https?:\/\/[^\s<>"'\u3000-\u303f\uff00-\uffef]+/g;

/** A text bubble whose bare URLs are links (the in-app browser opens them). */
function textBubble(text: string): HTMLElement {
  const bubble = el('div', 'bubble');
  let at = 0;
  for (const match of text.matchAll(BARE_URL)) {
    const url = match[0].replace(/[.,;:!?)\]]+$/, '');
    const href = safeHref(url);
    if (!href) continue;
    bubble.append(text.slice(at, match.index), Object.assign(el('a', 'text-link', url), { href }));
    at = match.index + url.length;
  }
  bubble.append(text.slice(at));
  return bubble;
}
