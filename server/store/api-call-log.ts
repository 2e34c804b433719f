// The newest platform API calls, for developer panels opened later: one record of kind `api-calls` per call,
// keyed by the call's id (ids sort by time), so keeping a call writes only its own record on any store. The
// oldest past API_CALLS_KEPT are deleted as calls come in, and left out of what is listed.
import type { ApiCall } from '../contract.ts';
import { API_CALLS_KEPT } from '../limits.ts';
import type { ChatStore, Records } from './chat-store.ts';

export const API_CALLS_KIND = 'api-calls';

export class ApiCallLog {
  private readonly calls: Records<ApiCall>;
  /** The ids this process knows are kept, oldest first; read once from the store, so a call costs no listing. */
  private known?: Promise<string[]>;
  private adding: Promise<unknown> = Promise.resolve();

  constructor(store: ChatStore) {
    this.calls = store.records<ApiCall>(API_CALLS_KIND);
  }

  /**
   * Keeps a call durably, then deletes the oldest beyond API_CALLS_KEPT; rejects `unavailable` when it could not
   * be kept. One at a time, so calls are kept (and shown, once kept) in the order they were made.
   */
  add(call: ApiCall): Promise<void> {
    const adding = this.adding.then(() => this.keep(call));
    this.adding = adding.catch(() => undefined);
    return adding;
  }

  private async keep(call: ApiCall): Promise<void> {
    const known = await this.knownIds();
    await this.calls.put(call.id, call);
    known.push(call.id);
    if (known.length > API_CALLS_KEPT) known.sort();
    // Another process's calls are not in `known`: they are pruned by recent(), where every call is seen.
    for (const id of known.splice(0, Math.max(0, known.length - API_CALLS_KEPT))) await this.calls.delete(id);
  }

  /** The newest API_CALLS_KEPT calls kept, oldest first (this process's calls being kept included). */
  async recent(): Promise<ApiCall[]> {
    await this.settled();
    const all = (await this.calls.list()).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    const lapsed = all.splice(0, Math.max(0, all.length - API_CALLS_KEPT));
    for (const { key } of lapsed) await this.calls.delete(key);
    return all.map(({ value }) => value);
  }

  /** Resolves once every call added so far is kept (or failed). */
  async settled(): Promise<void> {
    await this.adding;
  }

  private knownIds(): Promise<string[]> {
    this.known ??= this.calls.list().then(
      (all) => all.map(({ key }) => key).sort(),
      (err: unknown) => {
        this.known = undefined; // read again next time
        throw err;
      },
    );
    return this.known;
  }
}
