// Access tokens as the platform hands them out: `token` (a new one each call, the previous one valid 5 more
// minutes) and `stable_token` (the same one until 5 minutes before it expires, unless force_refresh).
// A token is valid on its own signature (signed-token.ts); the store only remembers the last tokens handed
// out and the tokens ended early, so every process sharing it agrees on those.
import type { ChatStore, Records } from '../store/chat-store.ts';
import { sameSecret } from '../app/security.ts';
import { PlatformError } from './errors.ts';
import { TokenSigner, type TokenParts } from './signed-token.ts';

export const TOKEN_SECONDS = 7200;
/** How long the previous token keeps working after a new one is issued, and how early stable_token renews. */
export const OVERLAP_MS = 5 * 60 * 1000;
const TOKEN_MS = TOKEN_SECONDS * 1000;

export type Credentials = { appId: string; secret: string };

// Nothing a caller sends is ever looked up as a key, only the ids of verified tokens.
const LATEST = 'latest';
const STABLE = 'stable';
const shortenedKey = (id: string) => `shortened:${id}`;

export class Tokens {
  private readonly signer: TokenSigner;
  /** The last tokens handed out, and the ids of those ended early (`shortened:<id>`). */
  private readonly records: Records<TokenParts | { validUntil: number }>;

  constructor(
    store: ChatStore,
    private readonly credentials: Credentials,
    private readonly now: () => number,
  ) {
    this.signer = new TokenSigner(credentials.appId, credentials.secret);
    this.records = store.records('tokens');
  }

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
    const previous = (await this.records.get(LATEST)) as TokenParts | undefined;
    const issued = this.signer.fresh(this.now() + TOKEN_MS);
    if (previous) await this.shorten(previous, this.now() + OVERLAP_MS);
    await this.records.put(LATEST, issued, { ttlMs: TOKEN_MS });
    return { access_token: this.signer.sign(issued), expires_in: TOKEN_SECONDS };
  }

  /** POST stable_token: the current stable token while it has more than OVERLAP_MS left; force_refresh ends it at once. */
  async stable(forceRefresh: boolean): Promise<{ access_token: string; expires_in: number }> {
    const current = (await this.records.get(STABLE)) as TokenParts | undefined;
    const now = this.now();
    if (current && !forceRefresh && current.expiresAt - now > OVERLAP_MS) {
      return { access_token: this.signer.sign(current), expires_in: Math.floor((current.expiresAt - now) / 1000) };
    }
    const issued = this.signer.fresh(now + TOKEN_MS);
    if (current && forceRefresh) await this.shorten(current, now);
    await this.records.put(STABLE, issued, { ttlMs: TOKEN_MS });
    return { access_token: this.signer.sign(issued), expires_in: TOKEN_SECONDS };
  }

  /** Checks the access_token of a call: 41001 missing, 40001 not one of ours, 42001 expired or ended early. */
  async check(token: unknown): Promise<void> {
    if (typeof token !== 'string' || token === '') throw new PlatformError(41001, 'add ?access_token= from GET /cgi-bin/token');
    const parts = this.signer.verify(token);
    if (!parts) throw new PlatformError(40001, 'not a token from GET /cgi-bin/token of a simulator with this --appid and --secret');
    const now = this.now();
    if (parts.expiresAt <= now) throw new PlatformError(42001);
    const shortened = (await this.records.get(shortenedKey(parts.id))) as { validUntil: number } | undefined;
    if (shortened && shortened.validUntil <= now) throw new PlatformError(42001);
  }

  /** Ends a token early; the record is needed only until the token's own expiry, after which its signature says "expired". */
  private async shorten(token: TokenParts, until: number): Promise<void> {
    const now = this.now();
    if (token.expiresAt <= now) return;
    await this.records.put(shortenedKey(token.id), { validUntil: Math.min(token.expiresAt, until) }, { ttlMs: token.expiresAt - now });
  }
}
