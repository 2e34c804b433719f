// The chat window never loses or strands what the user sends (browser): text typed before the server is
// ready goes out once it is, and a message whose answer never comes shows Retry instead of "Sending…".
import { expect } from 'chai';
import type { Responder } from '../server/core/chat-service.ts';
import type { StoredMessage } from '../server/contract.ts';
import { browserFixture, typeText } from './chat-window-helpers.ts';
import { http } from './helpers.ts';

/** A gate a test opens: the responder waits at it for the turns the test holds back. */
function gate(): { wait: Promise<void>; open: () => void } {
  let open!: () => void;
  const wait = new Promise<void>((resolve) => (open = resolve));
  return { wait, open };
}

describe('chat window: the outbox (browser)', function () {
  this.timeout(60_000);
  // A stand-in for the server under test: it welcomes a new user once `welcome` opens, answers "slow" once
  // `slow` opens, and echoes everything else at once.
  let welcome: ReturnType<typeof gate>;
  let slow: ReturnType<typeof gate>;
  // Before the fixture's own afterEach (hooks run in the order they are defined): the server stops only once every turn is answered.
  afterEach(() => {
    welcome.open();
    slow.open();
  });
  const fx = browserFixture((): Responder => {
    welcome = gate();
    slow = gate();
    return async ({ inbound, session }) => {
      if (inbound.type === 'event' && inbound.event === 'subscribe') {
        await welcome.wait;
        return { replies: [{ type: 'text', text: 'Welcome aboard' }], session };
      }
      if (inbound.type === 'text' && inbound.text === 'slow') await slow.wait;
      return { replies: [{ type: 'text', text: `echo: ${inbound.type === 'text' ? inbound.text : inbound.type}` }], session };
    };
  });

  const userTexts = async (userId: string) =>
    ((await http(`${fx.url}/api/messages?userId=${userId}`, 'GET')).body.messages as StoredMessage[]).filter((m) => m.from === 'user').map((m) => (m.type === 'text' ? m.text : m.type));

  for (const chosen of [true, false]) {
    it(`sends text typed before the server is ready once it is (${chosen ? 'a chosen user id' : 'a new user with no id yet'})`, async () => {
      const page = await fx.page(chosen ? '/?user=early-bird' : '/');
      await typeText(page, 'first words');
      await typeText(page, 'second words');
      const pending = page.locator('.message.user.pending .bubble');
      await pending.nth(1).waitFor();
      expect(await pending.allTextContents()).to.deep.equal(['first words', 'second words']);
      expect(await page.locator('#banner').isVisible()).to.equal(false); // no "Still connecting" refusal

      welcome.open();
      await page.getByText('echo: second words').waitFor();
      expect(await page.locator('.message.pending').count()).to.equal(0);
      const userId = chosen ? 'early-bird' : (await page.evaluate(() => localStorage.getItem('oa-sim.userId')))!;
      expect(userId).to.match(/^[A-Za-z0-9_-]+$/);
      expect(await userTexts(userId)).to.deep.equal(['first words', 'second words']);
      expect(await page.locator('.message .bubble').allTextContents()).to.deep.equal(['Welcome aboard', 'first words', 'echo: first words', 'second words', 'echo: second words']);
      // Nothing is left queued, under the user's id or the provisional one.
      expect(await page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('oa-sim.outbox.')))).to.deep.equal([]);
    });
  }

  it('keeps text typed before ready over a reload, and sends it once', async () => {
    const page = await fx.page('/?user=reloader');
    await typeText(page, 'do not lose me');
    await page.locator('.message.user.pending').waitFor();
    await page.reload();
    await page.locator('.message.user.pending .bubble', { hasText: 'do not lose me' }).waitFor();
    welcome.open();
    await page.getByText('echo: do not lose me').waitFor();
    expect(await userTexts('reloader')).to.deep.equal(['do not lose me']);
  });

  it('marks a message whose answer never comes, while still connected, as failed with Retry; Retry delivers it once', async () => {
    welcome.open();
    const page = await fx.context.newPage();
    await page.clock.install();
    await page.goto(`${fx.url}/?user=patient`);
    await page.getByText('Welcome aboard').waitFor();
    await typeText(page, 'slow');
    await page.locator('.message.user.pending', { hasText: 'slow' }).waitFor();
    await page.clock.fastForward(11_000);
    const failed = page.locator('.message.user.failed', { hasText: 'slow' });
    await failed.getByText('Not sent: no answer from the server in 10 s').waitFor();
    expect(await page.locator('.message.user.pending').count()).to.equal(0);

    // The server did take it in the end; the resend (same clientId) gets that answer, not a second copy.
    slow.open();
    await page.waitForFunction(async () => (await (await fetch('/api/messages?userId=patient')).json()).messages.length === 3);
    await failed.getByRole('button', { name: 'Retry' }).click();
    await page.getByText('echo: slow').waitFor();
    expect(await page.locator('.message.user.failed').count()).to.equal(0);
    expect(await page.locator('.message.user[data-id] .bubble').allTextContents()).to.deep.equal(['slow']);
    expect(await userTexts('patient')).to.deep.equal(['slow']);
  });
});
