// The chat window: connects as a user, shows the conversation, sends what the user types, taps or attaches.
import { io, type Socket } from 'socket.io-client';
import type { Account, ClientToServerEvents, Inbound, MessageAck, ReadyPayload, ServerToClientEvents } from '../../server/contract.ts';
import { ACK_TIMEOUT_MS } from '../../server/limits.ts';
import { toConvo } from '../flows/write-convo.ts';
import { BottomBar } from './bottom-bar.ts';
import { DevPanel } from './dev-panel.ts';
import { chosenUserId, forgetUserId, rememberUserId } from './identity.ts';
import { Lightbox } from './lightbox.ts';
import { MessageView } from './message-view.ts';
import { Outbox, type InboundBody, type Pending, type SendResult } from './outbox.ts';
import { SectionPage } from './section-page.ts';
import { InAppBrowser } from './in-app-browser.ts';
import { WechatPayView } from './pay-sheet.ts';
import { uploadPicture } from './upload.ts';

type ChatSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

const outboxKey = (userId: string | undefined) => `oa-sim.outbox.${userId ?? ':new'}`;

class ChatWindow {
  private account: Account = { name: 'Official account', description: '', menu: [] };
  private socket: ChatSocket | undefined;
  /** Messages not yet answered, kept under the user's id (or a provisional key until the server names a new user). */
  private outbox = new Outbox(outboxKey(undefined));
  /** Whether this connection's `ready` came: sends wait for it, so the history and the welcome come first. */
  private ready = false;
  private everReady = false;
  /** How long a message may wait for its answer: the server says in `ready` (longer in front of a slow target). */
  private replyDeadlineMs = ACK_TIMEOUT_MS;
  private readonly banner = document.getElementById('banner')!;
  private bannerTimer: number | undefined;
  private readonly lightbox = new Lightbox(document.getElementById('phone')!);
  private readonly view = new MessageView(document.getElementById('log')!, this.account, {
    select: (message, row) => this.select(message, row),
    openPicture: (src, from) => this.lightbox.open(src, from),
    tapOption: (item) => this.send({ type: 'text', text: item.text, optionId: item.id }),
  });
  private readonly bottomBar = new BottomBar({
    sendText: (text) => this.send({ type: 'text', text }),
    click: (key) => this.send({ type: 'event', event: 'click', key }),
    view: (url) => {
      this.send({ type: 'event', event: 'view', url });
      void this.browser.open(url);
    },
    attach: (file) => void this.sendPicture(file),
    scan: (ticket) => this.send({ type: 'event', event: 'scan', ticket }),
    sendLocation: (place) => this.send({ type: 'location', ...place }),
    sendLink: (link) => this.send({ type: 'link', ...link }),
  });
  private readonly devPanel = new DevPanel({
    newUser: () => this.newUser(),
    restart: () => this.restart(),
    exportFlow: () => this.exportFlow(),
    watchApiCalls: (on) => this.watchApiCalls(on),
    locationChanged: (place) => void this.reportLocation(place),
    switchTo: (userId) => this.switchTo(userId),
    newUserByScan: (ticket) => this.newUser(ticket),
    scanAsThisUser: (ticket) => this.send({ type: 'event', event: 'scan', ticket }),
  });
  private userId = '';
  private readonly wechatPay = new WechatPayView(document.getElementById('phone')!, () => this.userId);
  private readonly browser = new InAppBrowser({
    userId: () => this.userId,
    // A page shared to the chat is a link message, as in WeChat.
    sendLink: (link) => this.send({ type: 'link', title: link.title, url: link.url, ...(link.description ? { description: link.description } : {}) }),
    previewImage: (src) => this.lightbox.open(src, document.getElementById('browser-frame')!),
    chooseImage: () => this.choosePicture(),
    location: () => this.devPanel.location(),
    logCall: (call) => this.devPanel.addBridgeCall(call),
    pay: (request) => this.wechatPay.pay(request),
  });
  private readonly sectionPage = new SectionPage(() => this.account.name, this.browser);

  start(): void {
    void this.wechatPay.addPanelRow(document.getElementById('dev-panel')!);
    // Every web link of the chat (cards, template cards, links in texts) opens in the in-app browser, never a tab.
    document.getElementById('log')!.addEventListener('click', (event) => {
      const link = (event.target as HTMLElement).closest('a');
      if (!link || !/^https?:/.test(link.getAttribute('href') ?? '')) return;
      event.preventDefault();
      void this.browser.open(link.href, link);
    });
    this.sectionPage.route();
    this.connect(chosenUserId());
  }

  private connect(userId: string | undefined, scanTicket?: string): void {
    // What was typed before, for this user, shows at once and goes out when the server is ready.
    this.outbox = new Outbox(outboxKey(userId));
    this.outbox.pending.forEach((item) => this.view.addPending(item));
    // Opened from a QR code's URL (/q/<ticket> redirects to /?scan=<ticket>): this connection arrives by that scan, once.
    const url = new URL(location.href);
    const scan = scanTicket ?? url.searchParams.get('scan') ?? undefined;
    if (scan !== undefined) {
      url.searchParams.delete('scan');
      history.replaceState(history.state, '', url);
    }
    const socket: ChatSocket = io({ auth: { ...(userId ? { userId } : {}), ...(scan ? { scan } : {}) }, transports: ['websocket', 'polling'] });
    this.socket = socket;
    socket.on('ready', (ready) => this.onReady(ready));
    socket.on('message', (message) => this.view.addStored(message));
    socket.on('account', (account) => this.showAccount(account));
    socket.on('typing', ({ on }) => this.view.setTyping(on));
    socket.on('apiCall', (call) => this.devPanel.addApiCall(call));
    socket.on('disconnect', (reason) => {
      this.ready = false;
      // A disconnect we asked for (New user) is not news to the user.
      if (reason !== 'io client disconnect') this.showBanner('Connection lost. Reconnecting…', 'offline');
    });
    socket.on('connect_error', (err) => {
      this.showBanner(`Cannot connect: ${err.message}`, 'offline');
    });
  }

  private onReady({ userId, account, history, replyDeadlineMs }: ReadyPayload): void {
    const reconnected = this.everReady;
    this.replyDeadlineMs = replyDeadlineMs;
    this.ready = this.everReady = true;
    rememberUserId(userId);
    this.userId = userId;
    // Reconnections come back as this user, and not by the QR code again: a scan happens once.
    if (this.socket) this.socket.auth = { userId };
    this.showAccount(account);
    this.devPanel.setUser(userId);
    this.outbox.moveTo(outboxKey(userId));
    this.outbox.pending.forEach((item) => this.view.addPending(item));
    for (const message of history) {
      // A message whose answer was lost is in the history when the server did store it.
      if (message.from === 'user' && 'clientId' in message && message.clientId) this.outbox.forget(message.clientId);
      this.view.addStored(message);
    }
    this.outbox.pending.filter((i) => i.failed).forEach((item) => this.view.markFailed(item, () => this.retry(item)));
    // A new connection is subscribed to nothing: an open panel subscribes again (and catches up).
    if (this.devPanel.isOpen) this.watchApiCalls(true);
    if (!reconnected) this.view.scrollToEnd();
    if (reconnected) this.showBanner('Connected again.', 'online', 2500);
    else this.hideBanner();
    this.flush();
  }

  /** Tells the server where this user is, for the LOCATION event that entering the chat pushes with report location on. */
  private async reportLocation(place: { latitude: number; longitude: number }): Promise<void> {
    if (!this.userId) return;
    const res = await fetch(`/api/users/${encodeURIComponent(this.userId)}/location`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(place) }).catch(() => undefined);
    if (!res?.ok) this.showBanner('The location could not be saved on the server.', 'offline', 3000);
  }

  /** Subscribes to the platform API calls (the panel lists the ones kept, then each new one) or unsubscribes. */
  private watchApiCalls(on: boolean): void {
    const socket = this.socket;
    if (!socket?.connected) return; // onReady subscribes when the connection comes
    socket.emit('subscribe', { apiCalls: on }, (result) => {
      if (on && result.ok && this.socket === socket) this.devPanel.showApiCalls(result.apiCalls);
    });
  }

  /** Redraws what depends on the account: its name and its menu (live, when the server under test changes it). */
  private showAccount(account: Account): void {
    this.account = account;
    document.getElementById('account-name')!.textContent = account.name;
    document.title = account.name;
    this.view.setAccount(account);
    this.sectionPage.refreshTitle();
    this.bottomBar.setMenu(account.menu, account.name);
  }

  /** Queues a message and sends it when connected and ready; until then it shows as "Sending…". */
  private send(inbound: InboundBody): void {
    const item = this.outbox.add(inbound);
    this.view.addPending(item);
    this.flush();
  }

  private async sendPicture(file: File): Promise<void> {
    this.showBanner('Uploading the picture…', 'online');
    try {
      const { url, mediaId } = await uploadPicture(file);
      this.hideBanner();
      this.send({ type: 'image', url, mediaId });
    } catch (err) {
      this.showBanner(`Picture not sent: ${(err as Error).message}`, 'offline', 6000);
    }
  }

  /** A picture for a page's chooseImage: picked with the chat's own file input and uploaded as the chat's pictures are. */
  private choosePicture(): Promise<{ url: string; mediaId: string } | undefined> {
    const picker = document.createElement('input');
    picker.type = 'file';
    picker.accept = 'image/png,image/jpeg,image/gif,image/bmp';
    picker.id = 'page-picker';
    picker.hidden = true;
    document.body.append(picker);
    return new Promise((resolve) => {
      const done = (value: { url: string; mediaId: string } | undefined) => {
        picker.remove();
        resolve(value);
      };
      picker.addEventListener('cancel', () => done(undefined));
      picker.addEventListener('change', () => {
        const file = picker.files?.[0];
        if (!file) return done(undefined);
        uploadPicture(file).then(
          ({ url, mediaId }) => done({ url: new URL(url, location.href).href, mediaId }),
          (err: unknown) => {
            this.showBanner(`Picture not chosen: ${(err as Error).message}`, 'offline', 6000);
            done(undefined);
          },
        );
      });
      picker.click();
    });
  }

  private flush(): void {
    const socket = this.socket;
    if (!socket?.connected || !this.ready) return;
    void this.outbox.flush(
      (inbound) => this.emit(socket, inbound),
      (item, ack) => this.settled(item, ack),
    );
  }

  private async emit(socket: ChatSocket, inbound: Inbound): Promise<SendResult> {
    if (!socket.connected) return { kind: 'unreachable' };
    this.view.setWaiting(1);
    try {
      const ack = await socket.timeout(this.replyDeadlineMs).emitWithAck('message', inbound);
      return { kind: 'acked', ack };
    } catch {
      // Disconnected meanwhile: it goes again on reconnect. Still connected: the answer is lost, say so.
      return socket.connected ? { kind: 'timeout', message: `no answer from the server in ${Math.round(this.replyDeadlineMs / 1000)} s` } : { kind: 'unreachable' };
    } finally {
      this.view.setWaiting(-1);
    }
  }

  private settled(item: Pending, ack: MessageAck | undefined): void {
    if (ack?.ok) {
      this.view.addStored(ack.message);
      for (const reply of ack.replies) this.view.addStored(reply);
    } else {
      this.view.markFailed(item, () => this.retry(item));
    }
  }

  private retry(item: Pending): void {
    this.outbox.retry(item.clientId);
    this.view.markPendingAgain(item.clientId);
    this.flush();
  }

  /** A fresh user; with `scan`, one who arrives by that QR code (auth.scan). */
  private newUser(scan?: string): void {
    forgetUserId();
    this.reset();
    this.connect(undefined, scan);
  }

  /** The window becomes another follower's chat (the developer panel's followers list). */
  private switchTo(userId: string): void {
    if (userId === this.userId) return;
    this.reset();
    rememberUserId(userId);
    this.connect(userId);
  }

  /**
   * A clicked message shows in the developer panel. The notice of a push the target did not answer opens
   * the panel on the attempts, since why it failed is the first thing a developer wants to know.
   */
  private select(message: object, row: HTMLElement): void {
    const failedPush = this.view.failedPushOf(message);
    if (failedPush) this.devPanel.setOpen(true);
    this.devPanel.show(failedPush ?? message, row);
  }

  private restart(): void {
    this.view.clear();
    this.devPanel.clear();
  }

  /** Downloads the conversation on screen as a Botium convo file that `npm run flows` replays. */
  private exportFlow(): void {
    const recorded = new Date().toISOString();
    const convo = toConvo(`Recorded conversation of ${this.userId}`, [...this.view.messages], `Exported from the chat window on ${recorded}.`);
    const link = document.createElement('a');
    link.href = URL.createObjectURL(new Blob([convo], { type: 'text/plain;charset=utf-8' }));
    link.download = `${this.userId || 'conversation'}.convo.txt`;
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
  }

  private reset(): void {
    this.socket?.disconnect();
    this.socket = undefined;
    this.ready = this.everReady = false;
    this.view.clear();
    this.devPanel.clear();
  }

  private showBanner(text: string, tone: 'online' | 'offline', hideAfterMs?: number): void {
    window.clearTimeout(this.bannerTimer);
    this.banner.textContent = text;
    this.banner.dataset.tone = tone;
    this.banner.hidden = false;
    if (hideAfterMs) this.bannerTimer = window.setTimeout(() => this.hideBanner(), hideAfterMs);
  }

  private hideBanner(): void {
    window.clearTimeout(this.bannerTimer);
    this.banner.hidden = true;
  }
}

new ChatWindow().start();
