import { expect } from 'chai';
import type { Inbound, Outbound } from '../server/contract.ts';
import { parseArticle } from '../server/content/article.ts';
import type { Rule } from '../server/content/rules.ts';
import { PAGING_TTL_MS, respond, type Environment } from '../server/bot/engine.ts';
import { NEW_SESSION, type Session } from '../server/session.ts';
import { buildKnowledge, withRules, type Knowledge } from '../server/bot/knowledge.ts';
import { RecentMap } from '../server/bot/recent.ts';
import { byteLength, MAX_TEXT_BYTES } from '../server/bot/paging.ts';
import { seedContent } from './helpers.ts';

const NOW = new Date('2026-11-24T10:00:00Z');
const env = (overrides: Partial<Environment> = {}): Environment => ({ now: NOW, random: () => 0, ...overrides });

function seedKnowledge(rules?: Rule[]): Knowledge {
  const { account, article, seedRules } = seedContent();
  return buildKnowledge({ account, article, rules: rules ?? seedRules });
}

const kb = seedKnowledge();
const say = (text: string, session: Session = NEW_SESSION, k: Knowledge = kb) => respond(k, session, { type: 'text', text }, env());
const only = (replies: Outbound[]): Outbound => {
  expect(replies).to.have.length(1);
  return replies[0]!;
};
const textOf = (replies: Outbound[]): string => {
  const reply = only(replies);
  if (reply.type !== 'text') expect.fail(`expected a text reply, got ${JSON.stringify(reply)}`);
  return reply.text;
};
const cardSection = (replies: Outbound[]): string | undefined => {
  const reply = only(replies);
  if (reply.type !== 'news') expect.fail(`expected a news reply, got ${JSON.stringify(reply)}`);
  return reply.articles[0]!.sectionId;
};

describe('engine: events', () => {
  it('welcomes a subscriber with the article, its sections, and how to ask', () => {
    const turn = respond(kb, NEW_SESSION, { type: 'event', event: 'subscribe' }, env());
    const welcome = textOf(turn.replies);
    expect(welcome).to.include(kb.article.title).and.include(kb.account.name);
    for (const section of kb.article.sections) expect(welcome).to.include(`${section.number}. ${section.title}`);
    expect(welcome).to.match(/keyword/).and.match(/number/).and.match(/menu/).and.match(/help/);
    expect(turn.session.subscribed).to.equal(true);
  });

  it('says nothing to a user who unsubscribes, and remembers it', () => {
    const turn = respond(kb, { subscribed: true }, { type: 'event', event: 'unsubscribe' }, env());
    expect(turn.replies).to.deep.equal([]);
    expect(turn.session.subscribed).to.equal(false);
  });

  it('answers menu clicks with what the button is bound to', () => {
    const click = (key: string) => respond(kb, NEW_SESSION, { type: 'event', event: 'click', key }, env()).replies;
    expect(cardSection(click('section:games'))).to.equal('games');
    expect(textOf(click('help'))).to.match(/How to use/);
    expect(textOf(click('list'))).to.include('2. Activate Mobile Payment');
    expect(textOf(click('thanks'))).to.match(/welcome/i); // a stored rule's id
    expect(textOf(click('no-such-key'))).to.match(/no reply bound/);
  });

  it('binds every button of the project\'s menu to a real reply', () => {
    for (const button of kb.account.menu) {
      for (const item of button.sub ?? [button]) {
        if (!item.key) continue;
        const replies = respond(kb, NEW_SESSION, { type: 'event', event: 'click', key: item.key }, env()).replies;
        expect(JSON.stringify(replies), item.key).not.to.match(/no reply bound/);
      }
    }
  });
});

describe('engine: keywords', () => {
  const cases: Array<[string, string]> = [
    ['payment', 'payment'],
    ['PAYMENT', 'payment'],
    ['Tell me about mobile payment please', 'payment'],
    ['支付', 'payment'],
    ['我想了解微信支付', 'payment'],
    ['e-commerce', 'ecommerce'],
    ['电商', 'ecommerce'],
    ['games', 'games'],
    ['游戏', 'games'],
    ['what is the outlook?', 'outlook'],
    ['作者', 'author'],
  ];
  for (const [said, section] of cases) {
    it(`"${said}" → the ${section} section as a news card`, () => {
      expect(cardSection(say(said).replies)).to.equal(section);
    });
  }

  it('builds a card that opens the section in the chat window', () => {
    const reply = only(say('games').replies);
    expect(reply).to.deep.include({ type: 'news' });
    const article = (reply as Extract<Outbound, { type: 'news' }>).articles[0]!;
    expect(article.title).to.equal('Promoting the development of mobile games');
    expect(article.url).to.equal('/#/sections/games');
    expect(article.description).to.include('Reply 4');
  });

  it('matches whole words only: "gameplay" is not "game"', () => {
    const rules: Rule[] = [
      { id: 'g', name: 'G', keywords: [{ text: 'game', match: 'contain' }], replies: [{ type: 'text', text: 'GAME' }], replyMode: 'all' },
    ];
    expect(textOf(say('a game please', NEW_SESSION, seedKnowledge(rules)).replies)).to.equal('GAME');
    expect(say('good gameplay', NEW_SESSION, seedKnowledge(rules)).replies).not.to.deep.equal([{ type: 'text', text: 'GAME' }]);
  });

  it('lets an exact keyword beat a contained one, and a longer contained one beat a shorter', () => {
    const rules: Rule[] = [
      { id: 'c', name: 'C', keywords: [{ text: 'pay', match: 'contain' }], replies: [{ type: 'text', text: 'CONTAINED' }], replyMode: 'all' },
      { id: 'e', name: 'E', keywords: [{ text: 'pay now', match: 'equal' }], replies: [{ type: 'text', text: 'EXACT' }], replyMode: 'all' },
      { id: 'l', name: 'L', keywords: [{ text: 'pay later', match: 'contain' }], replies: [{ type: 'text', text: 'LONGER' }], replyMode: 'all' },
    ];
    const custom = seedKnowledge(rules);
    expect(textOf(say('Pay now!', NEW_SESSION, custom).replies)).to.equal('EXACT');
    expect(textOf(say('can I pay now or not', NEW_SESSION, custom).replies)).to.equal('CONTAINED');
    expect(textOf(say('I will pay later', NEW_SESSION, custom).replies)).to.equal('LONGER');
  });

  it('does not answer an equal-mode keyword when it is only contained', () => {
    const rules: Rule[] = [
      { id: 'e', name: 'E', keywords: [{ text: 'zebra', match: 'equal' }], replies: [{ type: 'text', text: 'EXACT' }], replyMode: 'all' },
    ];
    expect(textOf(say('zebra', NEW_SESSION, seedKnowledge(rules)).replies)).to.equal('EXACT');
    expect(textOf(say('a zebra', NEW_SESSION, seedKnowledge(rules)).replies)).not.to.equal('EXACT');
  });

  it('sends all of a rule\'s replies, or one at random, as its reply mode says', () => {
    const replies = [
      { type: 'text' as const, text: 'one' },
      { type: 'text' as const, text: 'two' },
    ];
    const rule = (replyMode: 'all' | 'random'): Rule => ({ id: 'r', name: 'R', keywords: [{ text: 'xyz', match: 'equal' }], replies, replyMode });
    const all = respond(seedKnowledge([rule('all')]), NEW_SESSION, { type: 'text', text: 'xyz' }, env());
    expect(all.replies).to.deep.equal(replies);
    // One knowledge base for both: the text is remembered, the pick is made again for each message.
    const randomKb = seedKnowledge([rule('random')]);
    const first = respond(randomKb, NEW_SESSION, { type: 'text', text: 'xyz' }, env({ random: () => 0.1 }));
    const second = respond(randomKb, NEW_SESSION, { type: 'text', text: 'xyz' }, env({ random: () => 0.9 }));
    expect(first.replies).to.deep.equal([replies[0]]);
    expect(second.replies).to.deep.equal([replies[1]]);
  });

  it('answers a remembered text by the rules of the knowledge base it is asked of', () => {
    const rule: Rule = { id: 'r', name: 'R', keywords: [{ text: 'payment', match: 'equal' }], replies: [{ type: 'text', text: 'RULE' }], replyMode: 'all' };
    const withRule = withRules(kb, [rule]);
    expect(cardSection(say('payment').replies)).to.be.a('string');
    expect(textOf(say('payment', NEW_SESSION, withRule).replies)).to.equal('RULE');
    expect(cardSection(say('payment', NEW_SESSION, withRules(withRule, [])).replies)).to.equal(cardSection(say('payment').replies));
  });
});

describe('RecentMap', () => {
  it('keeps what was used lately and at most twice its limit', () => {
    const recent = new RecentMap<number, string>(3);
    for (let i = 0; i < 3; i++) recent.set(i, `v${i}`);
    recent.set(3, 'v3'); // the first generation (0, 1, 2) becomes the older one
    expect(recent.get(0)).to.equal('v0'); // found in the older one: kept in the newer one
    recent.set(4, 'v4');
    recent.set(5, 'v5'); // the newer one (3, 0, 4) is full: 1 and 2 go with the older one
    expect([1, 2].map((k) => recent.get(k))).to.deep.equal([undefined, undefined]);
    expect([0, 3, 4, 5].map((k) => recent.get(k))).to.deep.equal(['v0', 'v3', 'v4', 'v5']);
    for (let i = 10; i < 100; i++) recent.set(i, 'x');
    expect(Array.from({ length: 100 }, (_, k) => recent.get(k)).filter((v) => v !== undefined)).to.have.length.at.most(6);
  });
});

describe('engine: questions in the user\'s own words (full-text search)', () => {
  const cases: Array<[string, string]> = [
    ['Who is Liu Hantao?', 'intro'],
    ['Did Didi Taxi use it?', 'payment'],
    ['Haidilao', 'payment'],
    ['what happened with JD.com', 'ecommerce'],
    ['Shoot the Plane', 'games'],
    ['CNNIC data', 'games'],
    ['What did Ren Yuxin say?', 'outlook'],
    ['World Cup', 'related'],
  ];
  for (const [said, section] of cases) {
    it(`"${said}" → ${section}`, () => {
      expect(cardSection(say(said).replies)).to.equal(section);
    });
  }

  it('tolerates typos: "paymnet" and "gmaes"', () => {
    expect(cardSection(say('paymnet').replies)).to.equal('payment');
    expect(cardSection(say('gmaes').replies)).to.equal('games');
  });

  it('offers the closest sections when no single one is clearly best', () => {
    const reply = textOf(say('Tencent').replies);
    expect(reply).to.match(/closest sections/);
    expect(reply.match(/^\d+\. /gm)!.length).to.be.within(2, 3);
  });
});

describe('engine: commands', () => {
  for (const command of ['help', 'HELP', '?', '帮助']) {
    it(`"${command}" explains how to use the account`, () => {
      expect(textOf(say(command).replies)).to.match(/How to use/).and.include('"list"').and.include('"more"');
    });
  }

  for (const command of ['list', 'menu', '目录']) {
    it(`"${command}" lists the sections, numbered`, () => {
      const reply = textOf(say(command).replies);
      for (const section of kb.article.sections) expect(reply).to.include(`${section.number}. ${section.title}`);
    });
  }

  it('a bare number sends that section as text', () => {
    const reply = textOf(say('2').replies);
    expect(reply.startsWith('2. Activate Mobile Payment\n\n')).to.equal(true);
    expect(reply).to.include('WeChat Pay');
    expect(textOf(say('２').replies)).to.equal(reply); // a full-width digit too
  });

  it('a number with no section says how many there are', () => {
    expect(textOf(say('42').replies)).to.match(/no section 42/).and.match(/1 to 7/);
    expect(textOf(say('0').replies)).to.match(/no section 0/);
  });

  it('a number that names no section, negative or not whole, is told so rather than searched', () => {
    for (const number of ['-1', '−1', '+2', '2.5', '1,000', '99999999']) {
      expect(textOf(say(number).replies), number).to.include(`There is no section ${number}:`).and.include('1 to 7');
    }
    expect(textOf(say('(2)').replies).startsWith('2. Activate Mobile Payment\n\n')).to.equal(true);
  });

  it('pages a section too long for one message with "more", every page within 2048 bytes', () => {
    // The seed's e-commerce section with its heading is just over one message.
    let turn = say('3');
    const pages = [textOf(turn.replies)];
    while (turn.session.paging) {
      turn = say('more', turn.session);
      pages.push(textOf(turn.replies));
    }
    expect(pages.length).to.be.greaterThan(1);
    for (const page of pages) expect(byteLength(page)).to.be.at.most(MAX_TEXT_BYTES);
    expect(pages[0]).to.match(/\(1\/\d\) Send "more"/);
    expect(pages.at(-1)).to.match(/End of "Open up the closed loop/);
    const body = pages.map((p) => p.replace(/^3\. .*\n\n/, '').replace(/\n\n\(\d\/\d\)[^\n]*$/, '')).join(' ');
    const section = kb.article.sections.find((s) => s.id === 'ecommerce')!;
    expect(body.split(/\s+/)).to.deep.equal(section.text.split(/\s+/));
    expect(textOf(say('more', turn.session).replies)).to.match(/nothing more/);
  });

  it('pages a long Chinese section, and "更多" works like "more"', () => {
    const long = '微信支付正在快速发展，越来越多的商户接入。'.repeat(300);
    const article = parseArticle(`# 长文\n\n## 支付 {#pay}\nKeywords: 支付\n\n${long}\n`, 'long.md');
    const custom = buildKnowledge({ account: kb.account, article, rules: [] });
    let turn = say('1', NEW_SESSION, custom);
    let count = 1;
    while (turn.session.paging) {
      expect(byteLength(textOf(turn.replies))).to.be.at.most(MAX_TEXT_BYTES);
      turn = say('更多', turn.session, custom);
      count++;
    }
    expect(count).to.be.greaterThan(5);
  });

  it('"more" with nothing to continue, or long after, says so', () => {
    expect(textOf(say('more').replies)).to.match(/nothing more/);
    const paging = say('3').session;
    const later = respond(kb, paging, { type: 'text', text: 'more' }, env({ now: new Date(NOW.getTime() + PAGING_TTL_MS + 1) }));
    expect(textOf(later.replies)).to.match(/nothing more/);
    expect(later.session.paging).to.equal(undefined);
  });
});

describe('engine: messages the article is not about', () => {
  // Each shares a word or a near miss with some section: a common word ("love", "two") or a typo ("price" ~ "place").
  for (const said of ['I love cats', 'two', 'line one\nline two', 'price']) {
    it(`"${said.replace('\n', '⏎')}" → the default reply with all the sections, not a section`, () => {
      expect(textOf(say(said).replies)).to.match(/^Sorry, I found nothing about/).and.include('1. Introduction');
    });
  }
});

describe('engine: the default reply', () => {
  it('is never empty and offers where to go next', () => {
    for (const said of ['xyzzy', '🙂', 'asdf qwer', '红包', '!!!', 'a'.repeat(2000)]) {
      const reply = textOf(say(said).replies);
      expect(reply.length, said).to.be.greaterThan(20);
      expect(reply).to.match(/\d\. /);
      expect(byteLength(reply)).to.be.at.most(MAX_TEXT_BYTES);
    }
  });

  it('is pure: the same input gives the same output and the session passed in is not changed', () => {
    const session: Session = { subscribed: true };
    const frozen = Object.freeze({ ...session });
    const inbound: Inbound = { type: 'text', text: '3' };
    const a = respond(kb, frozen, inbound, env());
    const b = respond(kb, frozen, inbound, env());
    expect(a).to.deep.equal(b);
    expect(frozen).to.deep.equal(session);
  });
});
