// The batching of calls to Redis (store/redis/batches.ts), without a Redis: what each caller gets back.
import { expect } from 'chai';
import { Batch } from '../server/store/redis/batches.ts';

describe('a batch of calls to Redis', () => {
  it('sends the calls made together at once, cut into calls of at most `most` items, and gives each caller its own answer', async () => {
    const sent: number[][] = [];
    const batch = new Batch<number, number>(async (items) => (sent.push(items), items.map((n) => (n === 4 ? new Error('four refused') : n * 10))), process.nextTick, 3);
    const outcomes = await Promise.allSettled([1, 2, 3, 4, 5].map((n) => batch.add(n)));
    expect(sent).to.deep.equal([[1, 2, 3], [4, 5]]);
    expect(outcomes.map((o) => (o.status === 'fulfilled' ? o.value : (o.reason as Error).message))).to.deep.equal([10, 20, 30, 'four refused', 50]);
    await batch.add(6);
    expect(sent.at(-1), 'a call made later goes in a batch of its own').to.deep.equal([6]);
  });

  it('fails every item of a call that fails, whether it rejects or throws at once, and only those', async () => {
    let calls = 0;
    const batch = new Batch<number, number>(
      (items) => {
        calls++;
        if (items[0] === 1) throw new Error('thrown');
        if (items[0] === 3) return Promise.reject(new Error('rejected'));
        return Promise.resolve(items);
      },
      process.nextTick,
      2,
    );
    const outcomes = await Promise.allSettled([1, 2, 3, 4, 5].map((n) => batch.add(n)));
    expect(calls).to.equal(3);
    expect(outcomes.map((o) => (o.status === 'fulfilled' ? o.value : (o.reason as Error).message))).to.deep.equal(['thrown', 'thrown', 'rejected', 'rejected', 5]);
  });
});
