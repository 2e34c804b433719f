// Access tokens as the platform hands them out: `token` (a new one each call, the previous one valid 5 more
// minutes) and `stable_token` (the same one until 5 minutes before it expires, unless force_refresh).
// Kept in the store, so every process of the simulator accepts them and they survive a restart.
import { randomBytes } from 'node:crypto';
import type { ChatStore } from '../store/chat-store.ts';
import { sameSecret } from '../security.ts';
import { PlatformError } from './errors.ts';

export const TOKEN_SECONDS = 7200;
/** How long the previous token keeps working after a new one is issued, and how early stable_token renews. */
export const OVERLAP_MS = 5 * 60 * 1000;
// A token's record outlives its validity by a day, so a late caller hears "expired" (42001), not "invalid" (40001).
const REMEMBER_EXPIRED_MS = 24 * 3600 * 1000;

export type Credentials = { appId: string; secret: string };
type Issued = { token: string; expiresAt: number };

const key = (token: string) => `token:${token}`;
const LATEST = 'token:latest';
const STABLE = 'token:stable';

export class Tokens {
  constructor(
    private readonly store: ChatStore,
    private readonly credentials: Credentials,
    private readonly now: () => number,
  ) {}

  /** Checks the caller's appid and secret (40013, 40125). */
  authenticate(appId: unknown, secret: unknown): void {
    if (typeof appId !== 'string' || appId !== this.credentials.appId) {
      throw new PlatformError(40013, `the simulator was started with --appid ${this.credentials.appId}`);
    }
    if (typeof secret !== 'string' || !sameSecret(secret, this.credentials.secret)) {
      throw new PlatformError(40125, 'not the --secret the simulator was started with');
    }
  }

  /** GET token: a fresh token; the one before it stays valid for OVERLAP_MS more. */
  async issue(): Promise<{ access_token: string; expires_in: number }> {
    const previous = await this.store.getValue<Issued>(LATEST);
    const issued = await this.mint();
    if (previous) await this.shorten(previous, this.now() + OVERLAP_MS);
    await this.store.setValue(LATEST, issued);
    return { access_token: issued.token, expires_in: TOKEN_SECONDS };
  }

  /** POST stable_token: the current stable token while it has more than OVERLAP_MS left; force_refresh ends it at once. */
  async stable(forceRefresh: boolean): Promise<{ access_token: string; expires_in: number }> {
    const current = await this.store.getValue<Issued>(STABLE);
    const now = this.now();
    if (current && !forceRefresh && current.expiresAt - now > OVERLAP_MS) {
      return { access_token: current.token, expires_in: Math.floor((current.expiresAt - now) / 1000) };
    }
    const issued = await this.mint();
    if (current && forceRefresh) await this.shorten(current, now);
    await this.store.setValue(STABLE, issued);
    return { access_token: issued.token, expires_in: TOKEN_SECONDS };
  }

  /** Checks the access_token of a call: 41001 missing, 40001 unknown, 42001 expired. */
  async check(token: unknown): Promise<void> {
    if (typeof token !== 'string' || token === '') throw new PlatformError(41001, 'add ?access_token= from GET /cgi-bin/token');
    const record = await this.store.getValue<{ validUntil: number }>(key(token));
    if (!record) throw new PlatformError(40001, 'this simulator never issued that token');
    if (record.validUntil <= this.now()) throw new PlatformError(42001);
  }

  private async mint(): Promise<Issued> {
    const token = randomBytes(96).toString('base64url');
    const expiresAt = this.now() + TOKEN_SECONDS * 1000;
    await this.store.setValue(key(token), { validUntil: expiresAt }, TOKEN_SECONDS * 1000 + REMEMBER_EXPIRED_MS);
    return { token, expiresAt };
  }

  private async shorten(issued: Issued, until: number): Promise<void> {
    const validUntil = Math.min(issued.expiresAt, until);
    await this.store.setValue(key(issued.token), { validUntil }, Math.max(0, validUntil - this.now()) + REMEMBER_EXPIRED_MS);
  }
}
