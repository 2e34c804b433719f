// The one id generator: message ids and MsgIds, each generator with its own sequence.
import { expect } from 'chai';
import { createIds } from '../server/core/ids.ts';

describe('ids', () => {
  it('makes MsgIds that increase strictly on one clock reading, as the platform does', () => {
    const ids = createIds('t');
    const now = Date.parse('2024-05-01T00:00:00Z');
    const first = ids.msgId(now);
    expect(first).to.equal(now * 1000);
    expect(ids.msgId(now)).to.equal(first + 1);
    expect(ids.msgId(now - 1000)).to.equal(first + 2);
  });

  it('keeps each generator to itself: an injected one is not moved by another', () => {
    const a = createIds('aaaa');
    const b = createIds('bbbb');
    const now = new Date('2024-05-01T00:00:00Z');
    const first = a.messageId(now);
    b.messageId(now);
    b.msgId(now.getTime() + 5000);
    expect(a.messageId(now) > first).to.equal(true);
    expect(a.msgId(now.getTime())).to.equal(now.getTime() * 1000);
    expect(first.endsWith('aaaa')).to.equal(true);
  });
});
