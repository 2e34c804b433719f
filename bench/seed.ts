// Fills a store with history through the store's own code, as the history scenario needs.
import type { StoredMessage } from '../server/contract.ts';
import { fileStore } from '../server/store/low-store.ts';

export const SEED_USERS = 1000;

/** Writes `total` messages spread over SEED_USERS users (bench-user-0 …) into a new store at `dbFile`. */
export async function seedStore(dbFile: string, total: number): Promise<void> {
  const store = fileStore(dbFile);
  await store.open([]);
  try {
    const perUser = Math.ceil(total / SEED_USERS);
    const start = Date.parse('2026-01-01T00:00:00Z');
    for (let u = 0; total > 0 && u < SEED_USERS; u++) {
      const userId = `bench-user-${u}`;
      const messages: StoredMessage[] = [];
      for (let i = 0; i < perUser; i += 2) {
        const at = new Date(start + (u * perUser + i) * 1000).toISOString();
        const id = `m${(start + u * perUser + i).toString(36)}${String(i).padStart(6, '0')}`;
        messages.push({ type: 'text', text: 'payment', clientId: `seed-${i}`, id, userId, from: 'user', createdAt: at });
        messages.push({
          type: 'news',
          articles: [{ title: 'Activate Mobile Payment', description: 'As the number of mobile devices connected to the Internet increases…', url: '/#/sections/payment', sectionId: 'payment' }],
          id: `${id}r`,
          userId,
          from: 'bot',
          createdAt: at,
          replyTo: id,
        });
      }
      await store.importHistory(userId, messages, { subscribed: true });
    }
  } finally {
    // Closed even for an empty store: the bot about to start on these files needs them (and their lock) let go.
    await store.close();
  }
}
