// The new inbound messages in flows and the SDK: `#me` LOCATION, LINK and SCAN (extensions to Botium's keywords),
// and BotClient's location, link and scan, played against a server built with node-webot's `wechat` middleware.
import { expect } from 'chai';
import API from 'co-wechat-api';
import { parseConvo } from '../client/flows/parse.ts';
import { describeFailure } from '../client/flows/reporters.ts';
import { runFlows } from '../client/flows/runner.ts';
import { toConvo } from '../client/flows/write-convo.ts';
import { BotClient, BotClientError } from '../client/sdk/bot-client.ts';
import type { FlowError } from '../client/flows/flow.ts';
import { rejection } from './helpers.ts';
import { accountServer, APPID, platformSimulator, SECRET } from './platform-helpers.ts';

const parseError = (convo: string) => {
  try {
    parseConvo(convo, 'f.convo.txt');
  } catch (err) {
    return (err as FlowError).message;
  }
  throw new Error('parsed');
};

describe('flows and the SDK: location, link and scan', () => {
  it('parses LOCATION, LINK and SCAN, and says what is wrong with a bad one', () => {
    const steps = parseConvo('F\n#me\nLOCATION 23.1291, 113.2644,Tianhe, Guangzhou\n#bot\n*\n#me\nLINK https://example.com/a?b=1 A good read\n#bot\n*\n#me\nSCAN poster-A\n#bot\n*\n', 'f.convo.txt').steps;
    expect(steps.filter((s) => s.kind === 'send').map((s) => (s as { inbound: object }).inbound)).to.deep.equal([
      { type: 'location', latitude: 23.1291, longitude: 113.2644, label: 'Tianhe, Guangzhou' },
      { type: 'link', url: 'https://example.com/a?b=1', title: 'A good read' },
      { type: 'event', event: 'scan', ticket: 'poster-A' },
    ]);
    expect(parseError('F\n#me\nLOCATION 91,0\n')).to.match(/LOCATION needs a latitude/);
    expect(parseError('F\n#me\nLOCATION here\n')).to.match(/LOCATION needs/);
    expect(parseError('F\n#me\nLINK javascript:alert(1) x\n')).to.match(/LINK needs an http/);
    expect(parseError('F\n#me\nLINK https://example.com/\n')).to.match(/LINK needs/);
    expect(parseError('F\n#me\nSCAN\n')).to.match(/SCAN needs the scene/);
  });

  it('plays LOCATION, LINK and SCAN flows and the SDK methods against a server built with `wechat`, and exports them back', async () => {
    const account = await accountServer((message, res) => {
      if (message.MsgType === 'location') return res.reply(`at ${message.Label || `${message.Location_X},${message.Location_Y}`}`);
      if (message.MsgType === 'link') return res.reply(`read ${message.Title}`);
      if (message.Event === 'SCAN') return res.reply(`scanned ${message.EventKey}`);
      if (message.Event === 'subscribe') return res.reply(message.EventKey ? `welcome by ${message.EventKey}` : 'welcome');
      res.reply('');
    });
    const sim = await platformSimulator(account.url);
    const api = new API(APPID, SECRET);
    api.prefix = `${sim.url}/cgi-bin/`;
    try {
      await api.createLimitQRCode('poster-A');
      await api.createTmpQRCode(42, 600);
      const convo = 'Scenes\n#bot\nwelcome\n#me\nSCAN poster-A\n#bot\nscanned poster-A\n#me\nSCAN 42\n#bot\nscanned 42\n#me\nLOCATION 23.1291,113.2644,Tianhe\n#bot\nat Tianhe\n#me\nLINK https://example.com/a A good read\n#bot\nread A good read\n';
      const [passed] = await runFlows([parseConvo(convo, 'f.convo.txt')], { url: sim.url, timeoutMs: 5000 });
      if (!passed!.passed) expect.fail(describeFailure(passed!));
      const [missing] = await runFlows([parseConvo('Missing\n#bot\nwelcome\n#me\nSCAN no-such-scene\n#bot\n*\n', 'f.convo.txt')], { url: sim.url, timeoutMs: 5000 });
      expect(missing!.passed).to.equal(false);
      expect(describeFailure(missing!)).to.match(/no live QR code with scene "no-such-scene"/);

      const bot = await BotClient.connect({ url: sim.url, userId: 'sdk-user' });
      expect((await bot.scan('poster-A')).map((m) => (m as { text?: string }).text)).to.deep.equal(['scanned poster-A']);
      expect((await bot.location(31.23, 121.47, { label: 'Shanghai', scale: 12 })).map((m) => (m as { text?: string }).text)).to.deep.equal(['at Shanghai']);
      expect((await bot.link('https://example.com/b', 'Another')).map((m) => (m as { text?: string }).text)).to.deep.equal(['read Another']);
      const err = await rejection(bot.scan('nothing'));
      expect(err).to.be.instanceOf(BotClientError);
      expect(err.code).to.equal('not_found');
      bot.close();

      // What a chat of these types exports replays green.
      const res = await fetch(`${sim.url}/api/messages?userId=sdk-user`);
      const { messages } = (await res.json()) as { messages: never[] };
      const exported = toConvo('Exported', messages);
      expect(exported).to.include('#me\nLOCATION 31.23,121.47,Shanghai').and.include('#me\nLINK https://example.com/b Another').and.match(/#me\nSCAN gQ/);
      const [replayed] = await runFlows([parseConvo(exported, 'e.convo.txt')], { url: sim.url, timeoutMs: 5000 });
      if (!replayed!.passed) expect.fail(describeFailure(replayed!));
    } finally {
      await sim.close();
      await account.close();
    }
  });
});
