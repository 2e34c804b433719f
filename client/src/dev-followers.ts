// The developer panel's followers: who follows the account now, with the remark and tags its server gave them
// (GET /api/followers); a tap switches the window to that follower. And the account's *QR codes*: scanned by this
// window's user, or the way a fresh user arrives (auth.scan), so user/info shows the scene.
import type { FollowerInfo, QrCodeInfo } from '../../server/contract.ts';
import { button, el } from './dom.ts';

export type DevFollowersActions = { switchTo: (userId: string) => void; newUserByScan: (ticket: string) => void; scanAsThisUser: (ticket: string) => void };

export class DevFollowers {
  readonly root = el('section', 'dev-api dev-followers');
  private readonly list = el('ol', 'follower-list');
  private readonly codes = el('div', 'dev-codes');

  constructor(private readonly actions: DevFollowersActions) {
    this.root.id = 'dev-followers';
    const title = el('h2', undefined, 'Followers');
    const row = el('div', 'dev-row');
    row.append(button('', 'Refresh', () => void this.refresh()), button('', 'QR codes', () => void this.showCodes()));
    this.list.setAttribute('aria-label', 'Followers');
    this.root.append(title, row, this.codes, this.list);
  }

  /** Lists the followers, each with a button that switches the window to them. */
  async refresh(currentUserId?: string): Promise<void> {
    const answer = await fetch('/api/followers').then((r) => (r.ok ? (r.json() as Promise<{ followers: FollowerInfo[] }>) : undefined)).catch(() => undefined);
    if (!answer) return void this.list.replaceChildren(el('li', 'plus-note', 'The followers could not be loaded.'));
    this.list.replaceChildren(
      ...answer.followers.map((f) => {
        const item = el('li', f.userId === currentUserId ? 'follower current' : 'follower');
        const name = el('span', 'follower-name', f.remark ? `${f.remark} (${f.userId})` : f.userId);
        const tags = el('span', 'follower-tags', f.tags.map((t) => t.name).join(', '));
        item.append(button('follower-switch', 'Switch', () => this.actions.switchTo(f.userId)), name, tags);
        item.title = f.openId;
        return item;
      }),
    );
    if (!answer.followers.length) this.list.append(el('li', 'plus-note', 'No one follows the account yet.'));
  }

  private async showCodes(): Promise<void> {
    const answer = await fetch('/api/qrcodes').then((r) => (r.ok ? (r.json() as Promise<{ codes: QrCodeInfo[] }>) : undefined)).catch(() => undefined);
    const codes = answer?.codes ?? [];
    // Each code: scanned by this window's user, or the way a fresh user arrives.
    const rows = codes.map((code) => {
      const item = el('div', 'dev-code');
      item.append(el('span', undefined, `Scene ${code.scene}`), button('', 'Scan', () => this.actions.scanAsThisUser(code.ticket)), button('', 'Arrive by it', () => this.actions.newUserByScan(code.ticket)));
      return item;
    });
    this.codes.replaceChildren(...(rows.length ? rows : [el('p', 'plus-note', 'The account has no QR codes yet.')]));
  }
}
