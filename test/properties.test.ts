// Property-based tests (fast-check): whatever arrives at the boundary, nothing but a coded error comes out,
// and a refusal stores nothing. FC_RUNS sets how many cases each property tries (default 200).
import { expect } from 'chai';
import fc from 'fast-check';
import type { Inbound, Outbound } from '../server/contract.ts';
import { ruleInputSchema } from '../server/content/rules.ts';
import { respond } from '../server/bot/engine.ts';
import type { Session } from '../server/session.ts';
import { buildKnowledge } from '../server/bot/knowledge.ts';
import { byteLength, MAX_TEXT_BYTES } from '../server/bot/paging.ts';
import { ChatService } from '../server/core/chat-service.ts';
import { AppError } from '../server/core/errors.ts';
import { ackJson, okAck, stampedJson, withJson } from '../server/core/exchange-json.ts';
import { chatParser } from '../server/transport/socket-parser.ts';
import type { StoredMessage } from '../server/contract.ts';
import { memoryStore } from '../server/store/low-store.ts';
import { jsonBytes, JsonList } from '../server/store/json-bytes.ts';
import { Journal, memoryJournal } from '../server/store/journal.ts';
import { MAX_TEXT_LENGTH } from '../server/limits.ts';
import { isValidId, parseId, parseInbound } from '../server/core/validation.ts';
import { passiveReplyXml, platformRequestXml, readPlatformMessage, repliesFromXml } from '../server/wechat/messages.ts';
import { http, seedContent, startServer } from './helpers.ts';
import { post, signedUrl } from './wechat-helpers.ts';

const runs = { numRuns: Number(process.env.FC_RUNS ?? 200) };
const content = seedContent();
const kb = buildKnowledge({ account: content.account, article: content.article, rules: content.seedRules });

/** Runs `fn`; anything it throws must be an AppError with a code and a message. */
function onlyAppErrors<T>(fn: () => T): T | AppError {
  try {
    return fn();
  } catch (err) {
    if (!(err instanceof AppError)) throw err;
    expect(err.code).to.be.a('string');
    expect(err.message).to.have.length.greaterThan(0);
    return err;
  }
}

// Shapes close to a message, so that the properties reach past the first check, plus anything at all.
const idLike = fc.oneof(fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/), fc.string(), fc.constant(''), fc.string({ minLength: 65, maxLength: 80 }));
const textLike = fc.oneof(fc.string({ unit: 'grapheme', maxLength: 60 }), fc.string({ minLength: 1990, maxLength: 2010 }), fc.constantFrom(' ', '\n\t', '支付', 'more'));
const inboundLike = fc.oneof(
  fc.record({ type: fc.constant('text'), text: fc.oneof(textLike, fc.anything()), clientId: fc.option(idLike, { nil: undefined }) }, { requiredKeys: ['type'] }),
  fc.record({ type: fc.constant('event'), event: fc.oneof(fc.constantFrom('subscribe', 'unsubscribe', 'click', 'scan'), fc.anything()), key: fc.oneof(fc.string(), fc.anything()) }, { requiredKeys: ['type'] }),
  fc.anything(),
);

describe('properties: input validation', () => {
  it('refuses events named after Object.prototype\'s members with bad_request (a case fast-check found)', () => {
    for (const event of ['toString', 'constructor', '__proto__', 'hasOwnProperty']) {
      let refused: unknown;
      try {
        parseInbound({ type: 'event', event });
      } catch (err) {
        refused = err;
      }
      expect(refused, event).to.be.instanceOf(AppError);
      expect((refused as AppError).code, event).to.equal('bad_request');
    }
  });

  it('parseInbound either returns a message within the contract or throws a coded error', () => {
    fc.assert(
      fc.property(inboundLike, (input) => {
        const result = onlyAppErrors(() => parseInbound(input));
        if (result instanceof AppError) {
          expect(['bad_request', 'too_long']).to.include(result.code);
        } else if (result.type === 'text') {
          expect(result.text).to.equal(result.text.trim());
          expect(result.text.length).to.be.within(1, MAX_TEXT_LENGTH);
        } else if (result.type === 'event') {
          expect(['subscribe', 'unsubscribe', 'click', 'view']).to.include(result.event);
        } else {
          expect(result.type).to.equal('image');
        }
        if (!(result instanceof AppError) && result.clientId !== undefined) expect(isValidId(result.clientId)).to.equal(true);
      }),
      runs,
    );
  });

  it('parseId accepts exactly the ids of 1 to 64 of [A-Za-z0-9_-] and nothing else', () => {
    fc.assert(
      fc.property(fc.oneof(idLike, fc.anything()), (input) => {
        const result = onlyAppErrors(() => parseId(input, 'userId'));
        const valid = typeof input === 'string' && /^[A-Za-z0-9_-]{1,64}$/.test(input);
        expect(result instanceof AppError).to.equal(!valid);
        if (result instanceof AppError) expect(result.message).to.match(/^userId: /);
      }),
      runs,
    );
  });

  it('the rule schema never throws, whatever it is given', () => {
    fc.assert(
      fc.property(fc.anything(), fc.record({ name: fc.anything(), keywords: fc.anything(), replies: fc.anything() }), (a, b) => {
        for (const input of [a, b]) expect(typeof ruleInputSchema.safeParse(input).success).to.equal('boolean');
      }),
      runs,
    );
  });
});

describe('properties: the chat service', () => {
  it('answers or refuses with a code, and a refusal stores nothing', async () => {
    const store = memoryStore();
    const service = new ChatService({ store, knowledge: kb });
    await service.receive('prop', { type: 'text', text: 'help', clientId: 'first' });
    await fc.assert(
      fc.asyncProperty(inboundLike, async (input) => {
        const before = await store.history('prop', { limit: 200 });
        const session = (await store.openTurn('prop')).user!.session;
        let outcome: unknown;
        try {
          outcome = await service.receive('prop', input);
        } catch (err) {
          if (!(err instanceof AppError)) throw err;
          expect(await store.history('prop', { limit: 200 })).to.deep.equal(before);
          expect((await store.openTurn('prop')).user!.session).to.deep.equal(session);
          return;
        }
        expect(outcome).to.have.property('message');
      }),
      runs,
    );
  });
});

const sessionArb: fc.Arbitrary<Session> = fc.record(
  {
    subscribed: fc.boolean(),
    paging: fc.record({
      sectionId: fc.oneof(fc.constantFrom(...kb.article.sections.map((s) => s.id)), fc.string()),
      nextPage: fc.integer({ min: -2, max: 50 }),
      at: fc.date({ min: new Date('2020-01-01'), max: new Date('2030-01-01'), noInvalidDate: true }).map((d) => d.toISOString()),
    }),
  },
  { requiredKeys: ['subscribed'] },
);

const validInbound: fc.Arbitrary<Inbound> = fc.oneof(
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 300 }).filter((t) => t.trim().length > 0).map((text) => ({ type: 'text' as const, text: text.trim() })),
  fc.string({ unit: 'binary', minLength: 1, maxLength: MAX_TEXT_LENGTH }).filter((t) => t.trim().length > 0).map((text) => ({ type: 'text' as const, text: text.trim() })),
  fc.constantFrom('subscribe' as const, 'unsubscribe' as const).map((event) => ({ type: 'event' as const, event })),
  fc.oneof(fc.constantFrom('help', 'list', 'more', 'section:games', 'section:nope', 'wechat-pay'), fc.string({ minLength: 1, maxLength: 128 })).map((key) => ({ type: 'event' as const, event: 'click' as const, key })),
);

function withinWechatLimits(replies: Outbound[]): void {
  for (const reply of replies) {
    if (reply.type === 'text') expect(byteLength(reply.text)).to.be.within(1, MAX_TEXT_BYTES);
    else if (reply.type === 'news') expect(reply.articles.length).to.be.within(1, 8);
    else expect.fail(`the article bot sends text and news only, not ${reply.type}`);
  }
}

describe('properties: the ack spliced from the messages\' JSON', () => {
  it('writes exactly the packet socket.io-parser writes for the same ack, whatever the messages hold', () => {
    const plain = new (chatParser.Encoder as unknown as { new (): { encode(p: unknown): unknown[] } })();
    const message = fc.dictionary(fc.string(), fc.jsonValue()).map((m) => m as unknown as StoredMessage);
    fc.assert(
      fc.property(message, fc.array(message, { maxLength: 4 }), fc.nat(), (first, replies, id) => {
        const json = [first, ...replies].map((m) => JSON.stringify(m));
        const ack = okAck(withJson({ message: first, replies }, json[0]!, json.slice(1)));
        expect(ackJson(ack), 'the ack carries its JSON').to.be.a('string');
        expect(JSON.parse(ackJson(ack)!)).to.deep.equal(JSON.parse(JSON.stringify({ ok: true, message: first, replies })));
        // The same bytes as stringifying: the spliced packet and socket.io-parser's own encoding of a copy without the JSON.
        const spliced = plain.encode({ type: 3, nsp: '/', id, data: [ack] });
        const stringified = plain.encode({ type: 3, nsp: '/', id, data: [{ ok: true, message: first, replies }] });
        expect(spliced).to.deep.equal(stringified);
      }),
      runs,
    );
  });

  it('a message stamped from a frozen body has the JSON JSON.stringify gives it, whatever the body holds', () => {
    // Bodies with a stamp's own fields too ("id", "from", …), which must be stringified as they are.
    const body = fc.dictionary(fc.oneof(fc.string(), fc.constantFrom('id', 'userId', 'from', 'createdAt', 'replyTo', 'type', 'text')), fc.jsonValue());
    fc.assert(
      fc.property(body, fc.string(), fc.option(fc.string(), { nil: undefined }), fc.boolean(), (fields, id, replyTo, twice) => {
        const frozen = Object.freeze(fields);
        const stamp = () => {
          const message = Object.assign({}, frozen) as unknown as StoredMessage;
          message.id = id;
          message.userId = 'u1';
          message.from = 'bot';
          message.createdAt = new Date(0).toISOString();
          if (replyTo) message.replyTo = replyTo;
          return message;
        };
        if (twice) stampedJson(stamp(), frozen); // the body's JSON kept from a first time
        const message = stamp();
        expect(stampedJson(message, frozen)).to.equal(JSON.stringify(message));
      }),
      runs,
    );
  });
});

describe('properties: messages\' JSON as bytes', () => {
  // Any UTF-16 text (CJK, emoji as surrogate pairs, lone surrogates, controls), never empty as JSON never is.
  const anyText = fc.string({ unit: 'binary', minLength: 1, maxLength: 300 });

  it('a JsonList holds the UTF-8 of its texts joined by commas, however it grew, as texts or as bytes, and gives each back', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ texts: fc.array(anyText, { maxLength: 4 }), asBytes: fc.boolean() }), { minLength: 1, maxLength: 12 }),
        fc.option(fc.record({ at: fc.nat(), text: anyText })),
        (turns, replacement) => {
          const [first, ...rest] = turns;
          const list = first!.asBytes ? JsonList.ofBytes(jsonBytes(first!.texts)) : JsonList.of(first!.texts);
          for (const { texts, asBytes } of rest) {
            if (asBytes) list.appendBytes(jsonBytes(texts));
            else list.append(texts);
          }
          // As UTF-8 keeps them: a lone surrogate comes back as U+FFFD.
          const texts = turns.flatMap((t) => t.texts).map((t) => Buffer.from(t).toString());
          if (replacement && texts.length > 0) {
            const at = replacement.at % texts.length;
            list.replace(at, replacement.text);
            texts[at] = Buffer.from(replacement.text).toString();
          }
          expect(list.bytes.equals(Buffer.from(texts.join(',')))).to.equal(true);
          expect(Array.from({ length: list.length }, (_, i) => list.text(i))).to.deep.equal(texts);
        },
      ),
      runs,
    );
  });

  it('a journal batch is the UTF-8 of its lines, one after another, and each line gets the bytes of its parts between the first and the last, with where each odd one ends', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(anyText, { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 8 }), async (lines) => {
        const appended: Buffer[] = [];
        const journal = new Journal({ ...memoryJournal(), append: async (bytes) => void appended.push(Buffer.from(bytes)) });
        const written = await Promise.all(lines.map((line) => journal.append(line)));
        expect(Buffer.concat(appended).equals(Buffer.from(lines.flat().join('')))).to.equal(true);
        lines.forEach((line, i) => {
          const inner = line.slice(1, -1);
          expect(written[i]!.bytes.equals(Buffer.from(inner.join(''))), `line ${i}`).to.equal(true);
          const ends = inner.flatMap((_, j) => (j % 2 === 0 ? [Buffer.byteLength(inner.slice(0, j + 1).join(''))] : []));
          expect(written[i]!.ends, `line ${i}'s ends`).to.deep.equal(ends);
        });
      }),
      runs,
    );
  });
});

describe('properties: the engine', () => {
  it('never throws, always answers a text, keeps within WeChat\'s limits, and is a function of its input', () => {
    fc.assert(
      fc.property(validInbound, sessionArb, fc.date({ noInvalidDate: true }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (inbound, session, now, dice) => {
        const env = { now, random: () => dice };
        const frozen = structuredClone(session);
        const turn = respond(kb, session, inbound, env);
        expect(session).to.deep.equal(frozen); // the session passed in is not changed
        if (inbound.type === 'text') expect(turn.replies.length).to.be.greaterThan(0);
        withinWechatLimits(turn.replies);
        expect(respond(kb, frozen, inbound, env)).to.deep.equal(turn);
      }),
      runs,
    );
  });
});

describe('properties: WeChat XML', () => {
  const ids = fc.record({ openId: fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/), accountId: fc.stringMatching(/^gh_[a-z0-9]{1,20}$/), createTime: fc.integer({ min: 0, max: 2 ** 31 }), msgId: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map(String) });
  // Text XML 1.0 can carry: no control characters other than tab and line breaks, no lone surrogates.
  const xmlText = fc.string({ unit: 'grapheme', maxLength: 200 }).map((t) => t.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '').replace(/\r\n?/g, '\n'));

  it('reading arbitrary bodies throws nothing but a coded error', () => {
    const xmlish = fc.oneof(
      fc.string(),
      fc.string().map((s) => `<xml>${s}</xml>`),
      fc.tuple(fc.constantFrom('FromUserName', 'MsgType', 'Content', 'Event', 'CreateTime', 'MsgId'), fc.string()).map(([tag, s]) => `<xml><${tag}>${s}</${tag}></xml>`),
      fc.string().map((s) => `<!DOCTYPE x [<!ENTITY e "${s}">]><xml>&e;</xml>`),
    );
    fc.assert(
      fc.property(xmlish, (body) => {
        onlyAppErrors(() => readPlatformMessage(body));
        onlyAppErrors(() => repliesFromXml(body));
      }),
      runs,
    );
  });

  it('what the simulator posts, the bot reads back unchanged, whatever the text and ids', () => {
    fc.assert(
      fc.property(xmlText, ids, (text, to) => {
        const read = readPlatformMessage(platformRequestXml({ type: 'text', text }, to));
        expect(read).to.deep.include({ openId: to.openId, accountId: to.accountId, retryKey: `msg_${to.msgId}`, kind: 'inbound', inbound: { type: 'text', text } });
      }),
      runs,
    );
  });

  it('a passive reply is XML that can be read, whatever characters the text holds', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', minLength: 1, maxLength: 300 }), (text) => {
        const xml = passiveReplyXml({ type: 'text', text }, { openId: 'o1', accountId: 'gh_a', maxCards: 1, baseUrl: 'http://bot.example', now: new Date(0) });
        expect(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/.test(xml), JSON.stringify(text)).to.equal(false);
        expect(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(xml), 'a lone surrogate').to.equal(false);
        // Text that is nothing but what XML cannot carry, or blanks, is `success`: an empty Content is WeChat's failure notice.
        expect(repliesFromXml(xml)).to.have.length(xml === 'success' ? 0 : 1);
      }),
      runs,
    );
  });

  it('a passive reply reads back as the reply, within the limits, whatever the text and cards', () => {
    const article = fc.record({ title: xmlText, description: xmlText, url: fc.constantFrom('/#/sections/games', 'https://example.com/a?b=1&c=<2>'), picUrl: fc.option(fc.constant('https://example.com/p.png'), { nil: undefined }) }, { requiredKeys: ['title', 'description', 'url'] });
    const outbound: fc.Arbitrary<Outbound> = fc.oneof(
      xmlText.filter((t) => t.trim().length > 0).map((text) => ({ type: 'text' as const, text })),
      fc.array(article, { minLength: 1, maxLength: 8 }).map((articles) => ({ type: 'news' as const, articles })),
    );
    fc.assert(
      fc.property(outbound, fc.integer({ min: 1, max: 8 }), (reply, maxCards) => {
        const xml = passiveReplyXml(reply, { openId: 'o1', accountId: 'gh_a', maxCards, baseUrl: 'http://bot.example', now: new Date(0) });
        const [back] = repliesFromXml(xml);
        if (reply.type === 'text') {
          expect(back).to.deep.equal({ type: 'text', text: reply.text });
        } else if (reply.type === 'news') {
          if (back?.type !== 'news') expect.fail(`expected news, got ${xml}`);
          expect(back.articles.map((a) => [a.title, a.description])).to.deep.equal(reply.articles.slice(0, maxCards).map((a) => [a.title, a.description]));
          for (const a of back.articles) expect(URL.canParse(a.url)).to.equal(true);
        }
      }),
      runs,
    );
  });
});

describe('properties: the HTTP boundary', () => {
  const httpRuns = { numRuns: Math.ceil(runs.numRuns / 2) };
  const countFor = async (url: string, userId: string) => ((await http(`${url}/api/messages?userId=${userId}&limit=200`, 'GET')).body.messages as unknown[]).length;

  it('POST /api/messages: any JSON body is answered 200 or refused with a 4xx and a code, storing all of an exchange or nothing', async () => {
    const server = await startServer();
    try {
      await fc.assert(
        fc.asyncProperty(fc.oneof(inboundLike.map((rest) => (typeof rest === 'object' && rest !== null && !Array.isArray(rest) ? { ...rest, userId: 'prop' } : rest)), fc.json()), async (body) => {
          const before = await countFor(server.url, 'prop');
          const res = await http(`${server.url}/api/messages`, 'POST', typeof body === 'string' ? body : JSON.stringify(body));
          const after = await countFor(server.url, 'prop');
          if (res.status === 200) {
            expect(after).to.equal(before + 1 + res.body.replies.length);
          } else {
            expect(res.status).to.be.within(400, 499);
            expect(res.body.error.code).to.be.a('string');
            expect(after).to.equal(before);
          }
        }),
        httpRuns,
      );
    } finally {
      await server.close();
    }
  });

  it('POST /wechat: any body, signed, is answered with XML, `success` or a 4xx, never a server error, and stores all of an exchange or nothing', async () => {
    const token = 'prop-token';
    const server = await startServer(undefined, { wechat: { token } });
    const part = fc.oneof(fc.string({ maxLength: 30 }), fc.constantFrom('text', 'event', 'image', 'subscribe', 'CLICK', 'VIEW', 'help', '', ']]>', '<a>'));
    const body = fc.oneof(
      fc.string(),
      fc.tuple(part, part, part).map(([type, content, event]) => `<xml><ToUserName><![CDATA[gh_a]]></ToUserName><FromUserName>oProp</FromUserName><CreateTime>1</CreateTime><MsgType>${type}</MsgType><Content>${content}</Content><Event>${event}</Event><EventKey>${content}</EventKey><MsgId>${content.length}</MsgId></xml>`),
    );
    try {
      await fc.assert(
        fc.asyncProperty(body, async (xml) => {
          const before = await countFor(server.url, 'oProp');
          const res = await post(signedUrl(server.url, token), xml);
          const after = await countFor(server.url, 'oProp');
          expect(res.status === 200 || (res.status >= 400 && res.status < 500), `${res.status} ${res.text}`).to.equal(true);
          if (res.status !== 200) expect(after).to.equal(before);
          else expect(after === before || after >= before + 1, `${before} → ${after}`).to.equal(true);
        }),
        httpRuns,
      );
    } finally {
      await server.close();
    }
  });
});
