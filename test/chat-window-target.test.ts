// The chat window in front of a slow server under test (node-webot's `wechat` middleware that never answers a
// text): it waits as long as the server's deadline (`replyDeadlineMs` in `ready`), not a fixed 10 s, shows
// the notice when it comes, and a click on the notice shows the attempts.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import express from 'express';
import wechat from 'wechat';
import { remoteResponder, SERVICE_UNAVAILABLE } from '../server/wechat/remote-bot.ts';
import { browserFixture, typeText } from './chat-window-helpers.ts';

describe('chat window: a slow server under test', () => {
  let target: Server;
  let targetUrl = '';
  let textPushes = 0;
  before(async () => {
    const app = express();
    app.use(
      '/wechat',
      wechat('tok', (req: { weixin: Record<string, string> }, res: { reply: (content: unknown) => void }) => {
        if (req.weixin.MsgType === 'event') return res.reply('Welcome aboard');
        textPushes++; // and no answer: each attempt runs into its deadline
      }),
    );
    target = createServer(app);
    await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
    targetUrl = `http://127.0.0.1:${(target.address() as AddressInfo).port}/wechat`;
  });
  after(() => new Promise<void>((r) => { target.closeAllConnections(); target.close(() => r()); }));
  // 3 attempts of 1 s: the server answers within 3 s, and tells the window 3 s + 10 s.
  const fx = browserFixture(() => remoteResponder({ url: targetUrl, token: 'tok', timeoutMs: 1000 }));

  it('waits past 10 s for the attempts, shows the notice, and a click on it opens the attempts\' trace', async () => {
    const page = await fx.context.newPage();
    await page.clock.install();
    await page.goto(`${fx.url}/?user=patient`);
    await page.getByText('Welcome aboard').waitFor();
    // The window's time stands still but for the jump, whatever the server takes in real time.
    await page.clock.pauseAt(Date.now() + 1000);
    textPushes = 0;
    await typeText(page, 'slow');
    await page.locator('.message.user.pending', { hasText: 'slow' }).waitFor();
    await page.clock.fastForward(11_000);

    const notice = page.locator('.message.bot .bubble', { hasText: SERVICE_UNAVAILABLE });
    await notice.waitFor();
    expect(textPushes).to.equal(3);
    expect(await page.locator('.message.user.failed').count()).to.equal(0);
    await page.locator('.message.user[data-id]', { hasText: 'slow' }).waitFor();
    expect(await page.locator('.message.user.pending').count()).to.equal(0);

    await notice.click();
    await page.locator('#dev-panel').waitFor();
    const shown = (await page.locator('#dev-json').textContent())!;
    expect(shown).to.include(`XML sent to ${targetUrl}`).and.include('<Content><![CDATA[slow]]></Content>');
    for (const n of [1, 2, 3]) expect(shown).to.match(new RegExp(`attempt ${n}: no response in \\d+ ms \\(timed out after 1 s\\)`));
    expect(shown).to.include('── outcome: failed ──');
  });
});
