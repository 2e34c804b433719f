// The lowdb files belong to one process. A second one on the same DB_FILE would replay and checkpoint a journal
// the first is still writing, and each would overwrite the user files the other wrote: acknowledged messages
// lost. `<db>.lock` names its holder (process id, host, since when); a holder whose process is gone (killed,
// crashed) is taken over at once, so a restart never waits. So is one naming this very process: an earlier run
// with the same pid (a container's pid 1), or a store of this process left open (tests that play a crash).
// Two processes taking over the same stale lock in the same instant could both win: the check is for a second
// start by mistake, not a race of many.
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { readFile, unlink, writeFile } from 'node:fs/promises';
import { PRIVATE_FILE } from './durable-file.ts';
import { StoreError } from './chat-store.ts';

type Holder = { pid: number; host: string; since: string; token?: string };

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, run by another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
};

async function holderOf(lockFile: string): Promise<Holder | undefined> {
  try {
    const holder = JSON.parse(await readFile(lockFile, 'utf8')) as Partial<Holder>;
    // A positive pid only: kill(0) and kill(-1) would signal groups, not one process.
    return Number.isInteger(holder.pid) && holder.pid! > 0 ? { pid: holder.pid!, host: String(holder.host), since: String(holder.since), token: String(holder.token) } : undefined;
  } catch {
    return undefined; // gone meanwhile, or written only in part by a process that died writing it
  }
}

/** Takes the lock on the files `describe` names, or refuses (`unavailable`) while a live process holds it; resolves with its release. */
export async function lockData(lockFile: string, describe: string): Promise<() => Promise<void>> {
  const refused = (why: string) => new StoreError('unavailable', `${describe} ${why}`);
  const mine: Holder = { pid: process.pid, host: hostname(), since: new Date().toISOString(), token: randomUUID() };
  for (let attempt = 0; ; attempt++) {
    try {
      await writeFile(lockFile, `${JSON.stringify(mine)}\n`, { flag: 'wx', mode: PRIVATE_FILE });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt === 2) throw refused(`cannot be locked for this process (${lockFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
    const holder = await holderOf(lockFile);
    if (holder && holder.pid !== process.pid && isAlive(holder.pid)) {
      throw refused(`is in use by process ${holder.pid} on ${holder.host} (since ${holder.since}): stop it, or give this process a DB_FILE of its own (several processes share one store through REDIS_URL). If no such process runs, delete ${lockFile}`);
    }
    try {
      await unlink(lockFile);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw refused(`cannot take over the lock of a process that is gone (${lockFile}: ${(err as NodeJS.ErrnoException).code})`);
    }
  }
  return async () => {
    // Only our own: a store that took it over since (see above) keeps it.
    if ((await holderOf(lockFile))?.token === mine.token) await unlink(lockFile).catch(() => undefined);
  };
}
