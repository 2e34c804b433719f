// The message list: bubbles, news cards, time stamps, pending and failed sends, the typing indicator.
import type { Account, Article, Inbound, StoredMessage } from '../../server/contract.ts';
import { formatTime, hueOf, initialOf, needsTimestamp, safeHref } from './format.ts';
import type { Pending } from './outbox.ts';

type Shown = StoredMessage | (Inbound & { from: 'user'; pending: true });

function el<K extends keyof HTMLElementTagNameMap>(tag: K, className?: string, text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/** What a user's click or event message looks like in the chat, since WeChat shows no bubble for it. */
function describeEvent(inbound: Extract<Inbound, { type: 'event' }>, account: Account): string {
  if (inbound.event !== 'click') return inbound.event === 'subscribe' ? 'You followed the account' : 'You unfollowed the account';
  const items = account.menu.flatMap((b) => [b, ...(b.sub ?? [])]);
  const name = items.find((i) => i.key === inbound.key)?.name ?? inbound.key;
  return `You tapped “${name}”`;
}

export class MessageView {
  private readonly byId = new Map<string, HTMLElement>();
  /** Stored messages in the order they are shown, for "Export as flow". */
  private readonly shown: StoredMessage[] = [];
  private readonly byClientId = new Map<string, HTMLElement>();
  private lastTime: string | undefined;
  private typing: HTMLElement | undefined;
  private waiting = 0;

  constructor(
    private readonly log: HTMLElement,
    private account: Account,
    private readonly onSelect: (message: Shown, element: HTMLElement) => void,
  ) {}

  setAccount(account: Account): void {
    this.account = account;
  }

  get messages(): readonly StoredMessage[] {
    return this.shown;
  }

  clear(): void {
    this.shown.length = 0;
    this.log.replaceChildren();
    this.byId.clear();
    this.byClientId.clear();
    this.lastTime = undefined;
    this.typing = undefined;
  }

  /** Shows a stored message once; a user's own message replaces its pending bubble. */
  addStored(message: StoredMessage): void {
    if (this.byId.has(message.id)) return;
    this.shown.push(message);
    const clientId = 'clientId' in message ? message.clientId : undefined;
    const pending = clientId ? this.byClientId.get(clientId) : undefined;
    if (pending) {
      pending.classList.remove('pending', 'failed');
      pending.querySelector('.status')?.remove();
      pending.dataset.id = message.id;
      this.byId.set(message.id, pending);
      this.byClientId.delete(clientId!);
      this.bindSelect(pending, message);
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

  /** Shows why the server refused a message, with a retry. */
  markFailed(item: Pending, retry: () => void): void {
    const row = this.byClientId.get(item.clientId);
    if (!row) return;
    row.classList.remove('pending');
    row.classList.add('failed');
    const status = row.querySelector('.status') ?? row.querySelector('.content')!.appendChild(el('span', 'status'));
    status.replaceChildren(el('span', 'error', `Not sent: ${item.failed?.message ?? 'unknown error'}`));
    const button = el('button', 'retry', 'Retry');
    button.type = 'button';
    button.addEventListener('click', retry);
    status.append(' ', button);
  }

  markPendingAgain(clientId: string): void {
    const row = this.byClientId.get(clientId);
    if (!row) return;
    row.classList.remove('failed');
    row.classList.add('pending');
    row.querySelector('.status')?.replaceChildren('Sending…');
  }

  /** The typing indicator shows while any reply is on its way. */
  setWaiting(delta: 1 | -1): void {
    this.waiting = Math.max(0, this.waiting + delta);
    if (this.waiting > 0 && !this.typing) {
      this.typing = this.row('bot');
      this.typing.classList.add('typing');
      this.typing.setAttribute('aria-label', `${this.account.name} is typing`);
      const bubble = el('div', 'bubble');
      bubble.append(el('span', 'dot'), el('span', 'dot'), el('span', 'dot'));
      this.typing.querySelector('.content')!.append(bubble);
      this.log.append(this.typing);
      this.scrollToEnd();
    } else if (this.waiting === 0 && this.typing) {
      this.typing.remove();
      this.typing = undefined;
    }
  }

  scrollToEnd(): void {
    this.log.scrollTop = this.log.scrollHeight;
  }

  private append(row: HTMLElement, createdAt: string): void {
    const nearEnd = this.log.scrollHeight - this.log.scrollTop - this.log.clientHeight < 120;
    if (needsTimestamp(this.lastTime, createdAt)) {
      const stamp = el('div', 'timestamp', formatTime(createdAt));
      this.log.insertBefore(stamp, this.typing ?? null);
    }
    this.lastTime = createdAt;
    this.log.insertBefore(row, this.typing ?? null);
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
    const content = row.querySelector('.content')!;
    if (message.type === 'text') {
      const bubble = el('div', 'bubble', message.text);
      content.append(bubble);
    } else if (message.type === 'news') {
      content.append(this.renderNews(message.articles));
    } else {
      content.append(el('div', 'bubble', `[${message.type} message]`));
    }
    if (!('pending' in message)) this.bindSelect(row, message);
    return row;
  }

  private renderNews(cards: Article[]): HTMLElement {
    const news = el('div', cards.length > 1 ? 'news multi' : 'news');
    cards.forEach((card, i) => {
      // "/#/sections/x" would leave the page (and its ?user=); the hash alone opens it in place.
      const href = card.url.startsWith('/#/') ? card.url.slice(1) : safeHref(card.url);
      const link = el('a', i === 0 ? 'card lead' : 'card');
      if (href) link.href = href;
      if (href && /^https?:/.test(href)) {
        link.target = '_blank';
        link.rel = 'noopener noreferrer';
      }
      const cover = el('div', 'cover');
      if (card.picUrl && safeHref(card.picUrl)) {
        const img = el('img');
        img.src = safeHref(card.picUrl)!;
        img.alt = '';
        cover.append(img);
      } else {
        // A generated cover: a colour of its own for each card, and its initial.
        const hue = hueOf(card.sectionId ?? card.title);
        cover.style.background = `linear-gradient(135deg, hsl(${hue} 60% 42%), hsl(${(hue + 40) % 360} 65% 58%))`;
        cover.append(el('span', 'cover-mark', initialOf(card.title)));
      }
      const title = el('div', 'card-title', card.title);
      link.append(cover, title);
      if (cards.length === 1 && card.description) link.append(el('div', 'card-description', card.description));
      if (cards.length === 1) link.append(el('div', 'card-footer', 'Read more'));
      news.append(link);
    });
    return news;
  }

  private bindSelect(row: HTMLElement, message: Shown): void {
    row.onclick = (event) => {
      if ((event.target as HTMLElement).closest('a, button')) return;
      this.onSelect(message, row);
    };
    row.onkeydown = (event) => {
      if (event.key === 'Enter' && event.target === row) this.onSelect(message, row);
    };
  }
}
