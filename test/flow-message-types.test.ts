// Flows and every message type: Botium's MEDIA, BUTTONS and CARDS asserters, tapping an option with BUTTON,
// sending a picture with MEDIA, and conversations of every type written as convos that replay green.
import { expect } from 'chai';
import type { Responder } from '../server/core/chat-service.ts';
import type { StoredMessage } from '../server/contract.ts';
import { check, describeMessage, showMessage } from '../client/flows/expectations.ts';
import type { Step } from '../client/flows/flow.ts';
import { parseConvo } from '../client/flows/parse.ts';
import { describeFailure } from '../client/flows/reporters.ts';
import { runFlows } from '../client/flows/runner.ts';
import { toConvo } from '../client/flows/write-convo.ts';
import { startServer, type Running } from './helpers.ts';

const base = { userId: 'u', createdAt: '2026-01-01T00:00:00.000Z', from: 'bot' as const };
const image: StoredMessage = { ...base, id: 'i', type: 'image', url: '/api/media/Mpic1', mediaId: 'Mpic1' };
const voice: StoredMessage = { ...base, id: 'v', type: 'voice', url: 'https://cdn.example.com/hello.mp3', title: 'Hello' };
const template: StoredMessage = {
  ...base,
  id: 't',
  type: 'template',
  templateId: 'T1',
  title: 'Order shipped',
  content: '{{first.DATA}}\nOrder: {{order.DATA}}',
  data: { first: { value: 'Hi' }, order: { value: 'A-1' } },
};
const options: StoredMessage = { ...base, id: 'o', type: 'options', head: 'Helpful?', items: [{ id: '101', text: 'Yes' }, { id: '102', text: 'No' }], tail: 'Tap one' };

/** The expectation of a one-section #bot flow. */
function expectation(bot: string): Extract<Step, { kind: 'expect' }> {
  const step = parseConvo(`F\n#me\nhi\n#bot\n${bot}\n`, 'f.convo.txt').steps[1];
  return step as Extract<Step, { kind: 'expect' }>;
}
const passes = (bot: string, message: StoredMessage) => check(expectation(bot), message, new Map()) === undefined;

describe('flows: every message type', () => {
  it('describes every type for the asserters and for failure reports', () => {
    expect(describeMessage(image)).to.deep.equal({ text: '', cards: [], buttons: [], media: ['/api/media/Mpic1', 'Mpic1'] });
    expect(describeMessage(template)).to.deep.include({ text: 'Hi\nOrder: A-1', cards: ['Order shipped'] });
    expect(describeMessage(options)).to.deep.include({ text: 'Helpful?\nTap one', buttons: ['Yes', 'No'] });
    expect([image, voice, template, options].map(showMessage)).to.deep.equal([
      'image: /api/media/Mpic1',
      'voice: https://cdn.example.com/hello.mp3 "Hello"',
      'template [Order shipped]: Hi / Order: A-1',
      'options: Helpful? [Yes] [No] Tap one',
    ]);
  });

  it('MEDIA matches a picture, voice or video by url or media id, as Botium matches', () => {
    expect(passes('MEDIA Mpic1', image)).to.equal(true);
    expect(passes('MEDIA /api/media/*', image)).to.equal(true);
    expect(passes('MEDIA hello.MP3', voice)).to.equal(true);
    expect(passes('MEDIA', image)).to.equal(true);
    expect(passes('MEDIA other.png', image)).to.equal(false);
    expect(passes('!MEDIA other.png', image)).to.equal(true);
    expect(passes('MEDIA_COUNT 1', image)).to.equal(true);
    expect(passes('MEDIA', options)).to.equal(false);
    expect(check(expectation('MEDIA other.png'), image, new Map())).to.deep.include({ what: 'MEDIA', expected: 'MEDIA other.png', actual: 'image: /api/media/Mpic1' });
  });

  it('BUTTONS matches the options\' item texts, CARDS template titles as well as news titles', () => {
    expect(passes('BUTTONS Yes|no', options)).to.equal(true);
    expect(passes('BUTTONS Maybe', options)).to.equal(false);
    expect(passes('BUTTONS_COUNT 2', options)).to.equal(true);
    expect(passes('!BUTTONS', image)).to.equal(true);
    expect(passes('Helpful?', options)).to.equal(true);
    expect(passes('CARDS Order shipped', template)).to.equal(true);
    expect(passes('CARDS_COUNT 1', template)).to.equal(true);
    expect(passes('Order: A-1', template)).to.equal(true);
    expect(passes('CARDS Invoice', template)).to.equal(false);
  });

  it('reads MEDIA (a picture to send) and EVENT view|URL under #me, and refuses what it cannot send', () => {
    const flow = parseConvo('F\n#me\nMEDIA /api/media/Mx\n#me\nEVENT view|https://example.com/shop\n#me\nBUTTON Yes\n', 'f.convo.txt');
    expect(flow.steps).to.have.length(3);
    expect(flow.steps[0]).to.deep.include({ inbound: { type: 'image', url: '/api/media/Mx' } });
    expect(flow.steps[1]).to.deep.include({ inbound: { type: 'event', event: 'view', url: 'https://example.com/shop' } });
    expect(flow.steps[2]).to.deep.include({ button: 'Yes', inbound: { type: 'event', event: 'click', key: 'Yes' } });
    expect(() => parseConvo('F\n#me\nEVENT view|shop.html\n', 'f.convo.txt')).to.throw(/f\.convo\.txt:3: EVENT needs/);
    expect(() => parseConvo('F\n#me\nMEDIA /a.png|/b.png\n', 'f.convo.txt')).to.throw(/MEDIA under #me sends a picture by its URL/);
  });

  describe('running against a server', () => {
    // A stand-in for a server under test that speaks in every type.
    const responder: Responder = async ({ inbound, session }) => {
      const say = (text: string) => ({ replies: [{ type: 'text' as const, text }], session });
      if (inbound.type === 'image') return say(`got your picture ${inbound.url}`);
      if (inbound.type === 'event') return say(inbound.event === 'click' ? `clicked ${inbound.key}` : inbound.event === 'view' ? `viewed ${inbound.url}` : 'hello');
      if (inbound.type !== 'text') return say('unexpected');
      if (inbound.optionId) return say(`you chose ${inbound.optionId}`);
      if (inbound.text === 'survey') return { replies: [options], session };
      if (inbound.text === 'media') return { replies: [image, voice, template], session };
      return say(`echo ${inbound.text}`);
    };
    let server: Running;
    before(async () => {
      server = await startServer(undefined, { responder });
    });
    after(() => server.close());

    async function play(convo: string) {
      const [result] = await runFlows([parseConvo(convo, 'f.convo.txt')], { url: server.url, timeoutMs: 5000 });
      return result!;
    }

    it('BUTTON taps the option of that text when the last bot message offered options, and clicks a menu key otherwise', async () => {
      const result = await play('Survey\n#me\nsurvey\n#bot\nBUTTONS Yes|No\n#me\nBUTTON No\n#bot\nyou chose 102\n#me\nBUTTON section:games\n#bot\nclicked section:games\n');
      if (!result.passed) expect.fail(describeFailure(result));
      const sent = result.transcript.filter((m) => m.from === 'user');
      expect(sent[1]).to.include({ type: 'text', text: 'No', optionId: '102' });
      expect(sent[2]).to.include({ type: 'event', event: 'click', key: 'section:games' });
    });

    it('asserts pictures, voice and template cards, and fails with a readable report', async () => {
      const green = await play('Media\n#me\nmedia\n#bot\nMEDIA Mpic1\n#bot\nMEDIA *.mp3\nHello\n#bot\nCARDS Order shipped\nOrder: A-1\n');
      if (!green.passed) expect.fail(describeFailure(green));
      const red = await play('Media\n#me\nmedia\n#bot\nMEDIA cat.png\n');
      expect(red.passed).to.equal(false);
      expect(red.failure).to.deep.include({ what: 'MEDIA', expected: 'MEDIA cat.png', actual: 'image: /api/media/Mpic1' });
    });

    it('writes a conversation of every type as a convo that replays green', async () => {
      const first = await play('Record\n#me\nsurvey\n#bot\n*\n#me\nBUTTON Yes\n#bot\n*\n#me\nmedia\n#bot\n*\n#bot\n*\n#bot\n*\n#me\nMEDIA /api/media/Mown\n#bot\n*\n#me\nEVENT view|https://example.com/shop\n#bot\n*\n');
      if (!first.passed) expect.fail(describeFailure(first));
      const convo = toConvo('Replay', first.transcript);
      expect(convo).to.include('#me\nBUTTON Yes\n').and.include('#bot\nBUTTONS Yes|No\nBUTTONS_COUNT 2').and.include('#bot\nMEDIA /api/media/Mpic1');
      expect(convo).to.include('#bot\nCARDS Order shipped').and.include('#me\nMEDIA /api/media/Mown').and.include('#me\nEVENT view|https://example.com/shop');
      const replay = await play(convo);
      if (!replay.passed) expect.fail(describeFailure(replay));
      expect(replay.transcript.map((m) => m.type)).to.deep.equal(first.transcript.map((m) => m.type));
    });
  });
});
