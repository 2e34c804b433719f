// Start-up in two steps: the components opened once (I/O), then the app wired from them (no I/O).
import { expect } from 'chai';
import { createApp } from '../server/app/app.ts';
import { openComponents } from '../server/app/components.ts';
import { silentLogger } from '../server/logger.ts';
import type { ChatStore } from '../server/store/chat-store.ts';
import { memoryStore } from '../server/store/low-store.ts';
import { connectUser, http, rejection, seedContent, send } from './helpers.ts';

describe('start-up', () => {
  it('wires the app from opened components without waiting for anything, and answers on it', async () => {
    const components = await openComponents({ store: memoryStore(), content: seedContent(), logger: silentLogger });
    const app = createApp(components);
    expect(app).not.to.be.instanceOf(Promise);
    const url = await app.listen(0, '127.0.0.1');
    try {
      expect((await http(`${url}/healthz`, 'GET')).status).to.equal(200);
      const { socket } = await connectUser(url, 'start-up-user');
      expect((await send(socket, { type: 'text', text: 'help' })).ok).to.equal(true);
      socket.close();
    } finally {
      await app.close();
    }
  });

  it('closes the store it opened when a later step of opening fails', async () => {
    const inner = memoryStore();
    let closed = 0;
    const store = Object.assign(Object.create(inner) as ChatStore, {
      // Every record read fails, the stored menu's among them.
      records: (kind: string) => Object.assign(Object.create(inner.records(kind)), { get: () => Promise.reject(new Error('the menu cannot be read')) }),
      close: async () => {
        closed++;
        await inner.close();
      },
    });
    const err = await rejection(openComponents({ store, content: seedContent(), logger: silentLogger }));
    expect(err.message).to.equal('the menu cannot be read');
    expect(closed).to.equal(1);
  });
});
