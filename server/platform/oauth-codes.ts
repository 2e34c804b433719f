// The codes the authorize page hands out: bound to the account (signed with its appid and secret) and the
// user, valid 5 minutes (WeChat's public-account pages say 5; an Open Platform page says 10), used once.
// Issuing one stores nothing; using one stores that it was used, for the rest of its 5 minutes.
import AsyncLock from 'async-lock';
import type { ChatStore, Records } from '../store/chat-store.ts';
import { PlatformError } from './errors.ts';
import type { Scope } from './authorize-request.ts';
import { GrantSigner } from './signed-grant.ts';
import type { Credentials } from './tokens.ts';

export const CODE_MS = 5 * 60 * 1000;

type CodeFields = { user: string; scope: Scope };

export class OAuthCodes {
  private readonly signer: GrantSigner<CodeFields>;
  /** The ids of used codes, until they would have expired. */
  private readonly used: Records<{ usedAt: number }>;
  // Two exchanges of one code in this process take turns, so only the first succeeds.
  private readonly lock = new AsyncLock();

  constructor(
    store: ChatStore,
    credentials: Credentials,
    private readonly now: () => number,
  ) {
    this.signer = new GrantSigner(credentials.appId, credentials.secret, 'oauth code');
    this.used = store.records('oauth-codes-used');
  }

  /** A new code for this user and scope. */
  issue(user: string, scope: Scope): string {
    return this.signer.issue({ user, scope }, this.now() + CODE_MS).text;
  }

  /** What a code grants, marking it used: 41008 missing, 40029 not a code of this account, 42003 expired, 40163 used before. */
  async use(code: unknown): Promise<CodeFields> {
    if (typeof code !== 'string' || code === '') throw new PlatformError(41008, 'add &code= from the redirect of /connect/oauth2/authorize');
    const grant = this.signer.verify(code);
    if (!grant) throw new PlatformError(40029, 'not a code the authorize page of this simulator (this --appid and --secret) gave');
    return this.lock.acquire(grant.id, async () => {
      const now = this.now();
      if (grant.expiresAt <= now) throw new PlatformError(42003, `a code works for ${CODE_MS / 60_000} minutes`);
      if (await this.used.get(grant.id)) throw new PlatformError(40163, 'each code works once (Back onto a ?code= URL, or a second redirect, sends it again)');
      await this.used.put(grant.id, { usedAt: now }, { ttlMs: grant.expiresAt - now });
      return grant.fields;
    });
  }
}
