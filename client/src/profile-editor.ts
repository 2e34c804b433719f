// The chat user's nickname and avatar in the developer panel: what sns/userinfo and the consent sheet show the
// account's pages (GET and PUT /api/users/:userId/profile).
import type { ErrorBody } from '../../server/contract.ts';

type Profile = { nickname: string; avatarUrl: string };

export class ProfileEditor {
  private readonly nickname = document.getElementById('dev-nickname') as HTMLInputElement;
  private readonly avatar = document.getElementById('dev-avatar') as HTMLInputElement;
  private readonly status = document.getElementById('dev-profile-status')!;
  private userId = '';
  /** What the server has, so only what the developer changed is sent (the default avatar stays the default). */
  private shown: Profile | undefined;

  constructor() {
    document.getElementById('dev-profile')!.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.save();
    });
  }

  /** Shows the profile of the window's user. */
  async show(userId: string): Promise<void> {
    this.userId = userId;
    this.status.textContent = '';
    const res = await fetch(`/api/users/${encodeURIComponent(userId)}/profile`).catch(() => undefined);
    if (!res?.ok || userId !== this.userId) return;
    this.fill((await res.json()) as Profile);
  }

  private fill(profile: Profile): void {
    this.shown = profile;
    this.nickname.value = profile.nickname;
    this.avatar.value = profile.avatarUrl;
  }

  private async save(): Promise<void> {
    const change: Partial<Profile> = {};
    if (this.nickname.value !== this.shown?.nickname) change.nickname = this.nickname.value;
    if (this.avatar.value !== this.shown?.avatarUrl) change.avatarUrl = this.avatar.value;
    if (Object.keys(change).length === 0) {
      this.status.textContent = 'Nothing changed.';
      return;
    }
    const res = await fetch(`/api/users/${encodeURIComponent(this.userId)}/profile`, { method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(change) }).catch(() => undefined);
    const answer = (await res?.json().catch(() => undefined)) as (Profile & { error?: ErrorBody }) | undefined;
    if (!res?.ok || !answer?.nickname) {
      this.status.textContent = `Not saved: ${answer?.error?.message ?? 'the simulator cannot be reached'}`;
      return;
    }
    this.fill(answer);
    this.status.textContent = 'Profile saved.';
  }
}
