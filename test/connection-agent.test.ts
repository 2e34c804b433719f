// The flows runner's connections resolve each host name once per run (connection-agent.ts), through the SDK's `agent`.
import { lookup } from 'node:dns';
import { Agent } from 'node:http';
import { expect } from 'chai';
import { rememberingLookup } from '../client/flows/connection-agent.ts';
import { connect } from '../client/sdk/bot-client.ts';
import { startServer, type Running } from './helpers.ts';

/** The system resolver, counting the host names it is asked for. */
function countingResolver() {
  const asked: string[] = [];
  const resolve = ((hostname: string, options: object, callback: (...args: unknown[]) => void) => {
    asked.push(hostname);
    lookup(hostname, options, callback);
  }) as typeof lookup;
  return { asked, resolve };
}

const lookUp = (fn: ReturnType<typeof rememberingLookup>, hostname: string) =>
  new Promise<{ error: NodeJS.ErrnoException | null; address: unknown }>((resolve) =>
    fn(hostname, { all: true }, (error, address) => resolve({ error, address })),
  );

describe('connection agent', () => {
  let server: Running;
  before(async () => {
    server = await startServer();
  });
  after(() => server.close());

  it('asks the resolver once for a host name however many lookups come, at once or later', async () => {
    const { asked, resolve } = countingResolver();
    const remembering = rememberingLookup(resolve);
    const answers = await Promise.all([lookUp(remembering, 'localhost'), lookUp(remembering, 'localhost')]);
    const later = await lookUp(remembering, 'localhost');
    expect(asked).to.deep.equal(['localhost']);
    expect(answers[0]!.error).to.equal(null);
    expect(answers[0]!.address).to.be.an('array').that.is.not.empty;
    expect(later.address).to.deep.equal(answers[0]!.address);
  });

  it('does not remember a failure', async () => {
    const { asked, resolve } = countingResolver();
    const remembering = rememberingLookup(resolve);
    const first = await lookUp(remembering, 'no-such-host.invalid');
    await lookUp(remembering, 'no-such-host.invalid');
    expect(first.error?.code).to.be.oneOf(['ENOTFOUND', 'EAI_AGAIN']);
    expect(asked).to.deep.equal(['no-such-host.invalid', 'no-such-host.invalid']);
  });

  it("is what the SDK's connections go through when given: three users, one lookup", async () => {
    const { asked, resolve } = countingResolver();
    const agent = new Agent({ lookup: rememberingLookup(resolve) });
    const url = server.url.replace('127.0.0.1', 'localhost');
    const bots = await Promise.all([1, 2, 3].map(() => connect({ url, agent })));
    try {
      expect(asked).to.deep.equal(['localhost']);
      expect((await bots[2]!.say('list'))[0]).to.include({ from: 'bot' });
    } finally {
      bots.forEach((bot) => bot.close());
      agent.destroy();
    }
  });
});
