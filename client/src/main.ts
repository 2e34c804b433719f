// The chat window: connects as a user, shows the conversation, sends what the user types or taps.
import { io, type Socket } from 'socket.io-client';
import type { Account, ClientToServerEvents, Inbound, MessageAck, ReadyPayload, ServerToClientEvents } from '../../server/contract.ts';
import { ACK_TIMEOUT_MS } from '../../server/limits.ts';
import { toConvo } from '../flows/write-convo.ts';
import { BottomBar } from './bottom-bar.ts';
import { DevPanel } from './dev-panel.ts';
import { chosenUserId, forgetUserId, rememberUserId } from './identity.ts';
import { MessageView } from './message-view.ts';
import { Outbox, type InboundBody, type Pending, type SendResult } from './outbox.ts';
import { SectionPage } from './section-page.ts';

type ChatSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

class ChatWindow {
  private account: Account = { name: 'Official account', description: '', menu: [] };
  private socket: ChatSocket | undefined;
  private outbox: Outbox | undefined;
  private readonly banner = document.getElementById('banner')!;
  private bannerTimer: number | undefined;
  private readonly view = new MessageView(document.getElementById('log')!, this.account, (message, row) => this.devPanel.show(message, row));
  private readonly bottomBar = new BottomBar({
    sendText: (text) => this.send({ type: 'text', text }),
    click: (key) => this.send({ type: 'event', event: 'click', key }),
  });
  private readonly devPanel = new DevPanel({ newUser: () => this.newUser(), restart: () => this.restart(), exportFlow: () => this.exportFlow() });
  private userId = '';
  private readonly sectionPage = new SectionPage(() => this.account.name);

  start(): void {
    this.sectionPage.route();
    this.connect(chosenUserId());
  }

  private connect(userId: string | undefined): void {
    const socket: ChatSocket = io({ auth: userId ? { userId } : {}, transports: ['websocket', 'polling'] });
    this.socket = socket;
    socket.on('ready', (ready) => this.onReady(ready));
    socket.on('message', (message) => {
      this.view.addStored(message);
    });
    socket.on('disconnect', (reason) => {
      // A disconnect we asked for (New user) is not news to the user.
      if (reason !== 'io client disconnect') this.showBanner('Connection lost. Reconnecting…', 'offline');
    });
    socket.on('connect_error', (err) => {
      this.showBanner(`Cannot connect: ${err.message}`, 'offline');
    });
  }

  private onReady({ userId, account, history }: ReadyPayload): void {
    const reconnected = this.outbox !== undefined;
    rememberUserId(userId);
    this.userId = userId;
    this.account = account;
    document.getElementById('account-name')!.textContent = account.name;
    document.title = account.name;
    this.view.setAccount(account);
    this.sectionPage.refreshTitle();
    this.bottomBar.setMenu(account.menu);
    this.devPanel.setUser(userId);
    if (!this.outbox) {
      this.outbox = new Outbox(`oa-sim.outbox.${userId}`);
      for (const item of this.outbox.pending) this.view.addPending(item);
    }
    for (const message of history) this.view.addStored(message);
    this.outbox.pending.filter((i) => i.failed).forEach((item) => this.view.markFailed(item, () => this.retry(item)));
    if (!reconnected) this.view.scrollToEnd();
    if (reconnected) this.showBanner('Connected again.', 'online', 2500);
    else this.hideBanner();
    this.flush();
  }

  private send(inbound: InboundBody): void {
    if (!this.outbox) {
      this.showBanner('Still connecting; try again in a moment.', 'offline', 2500);
      return;
    }
    const item = this.outbox.add(inbound);
    this.view.addPending(item);
    this.flush();
  }

  private flush(): void {
    const socket = this.socket;
    if (!socket?.connected || !this.outbox) return;
    void this.outbox.flush(
      (inbound) => this.emit(socket, inbound),
      (item, ack) => this.settled(item, ack),
    );
  }

  private async emit(socket: ChatSocket, inbound: Inbound): Promise<SendResult> {
    if (!socket.connected) return { kind: 'unreachable' };
    this.view.setWaiting(1);
    try {
      const ack = await socket.timeout(ACK_TIMEOUT_MS).emitWithAck('message', inbound);
      return { kind: 'acked', ack };
    } catch {
      return { kind: 'unreachable' };
    } finally {
      this.view.setWaiting(-1);
    }
  }

  private settled(item: Pending, ack: MessageAck): void {
    if (ack.ok) {
      this.view.addStored(ack.message);
      for (const reply of ack.replies) this.view.addStored(reply);
    } else {
      this.view.markFailed(item, () => this.retry(item));
    }
  }

  private retry(item: Pending): void {
    this.outbox?.retry(item.clientId);
    this.view.markPendingAgain(item.clientId);
    this.flush();
  }

  private newUser(): void {
    forgetUserId();
    this.reset();
    this.connect(undefined);
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
    this.outbox = undefined;
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
