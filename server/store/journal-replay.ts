// Internal to the lowdb store: start-up after a crash. The journal holds every acknowledged turn that a
// checkpoint may not have written to the user files; replaying applies those to the users' logs, once each.
import { messagesJson, StoreError } from './chat-store.ts';
import { JournalDamage, journalEntries } from './journal.ts';
import { jsonBytes } from './json-bytes.ts';
import type { UserLog } from './user-log.ts';

export type ReplayTarget = {
  /** The user's log as their files have it; undefined for a user without files. */
  load: (userId: string) => Promise<UserLog | undefined>;
  /** An empty log for the user, whatever their files hold. */
  create: (userId: string, createdAt: string) => UserLog;
  warn: (message: string) => void;
};

/**
 * Applies the journal's parts (oldest first) to the users' logs and returns every log it met, by user.
 * Each line says how many messages the user had before it, so a line a checkpoint already wrote is skipped,
 * and one that would leave a gap stops start-up. A user whose first line here is at message 0 has their whole
 * history in the journal: their files are not read, since a crash during that user's first checkpoint may
 * have left them torn (a new user's files are written in place, see user-log.ts), and they are written anew.
 */
export async function replayJournal(parts: Array<{ describe: string; bytes: Buffer }>, target: ReplayTarget): Promise<Map<string, UserLog>> {
  const logs = new Map<string, UserLog>();
  for (const { describe, bytes } of parts) {
    const entries = journalEntries(describe, bytes, () => target.warn(`${describe}: the last line was cut short by a crash; it was never acknowledged and is left out`));
    let line = 0;
    try {
      for (const { userId, at, commit } of entries) {
        line++;
        let log = logs.get(userId);
        if (!log) {
          const createdAt = commit.messages[0]?.createdAt ?? new Date().toISOString();
          log = (at === 0 ? undefined : await target.load(userId)) ?? target.create(userId, createdAt);
          logs.set(userId, log);
        }
        if (at < log.count) continue; // a checkpoint wrote it before the crash
        if (at > log.count) throw StoreError.aboutFile(describe, `line ${line} continues ${userId}'s history at message ${at}, but the user files hold ${log.count}`);
        log.apply(commit, jsonBytes(messagesJson(commit)));
      }
    } catch (err) {
      if (err instanceof JournalDamage) throw StoreError.aboutFile(err.file, err.message);
      throw err;
    }
  }
  return logs;
}
