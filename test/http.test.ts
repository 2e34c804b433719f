import { expect } from 'chai';
import { http, startServer, type Running } from './helpers.ts';

describe('HTTP contract', () => {
  let server: Running;
  let url: string;
  before(async () => {
    server = await startServer();
    url = server.url;
  });
  after(() => server.close());

  it('GET /healthz answers 200', async () => {
    const res = await http(`${url}/healthz`, 'GET');
    expect(res.status).to.equal(200);
    expect(res.body).to.deep.equal({ status: 'ok' });
  });

  it('POST /api/messages answers with the stored message and replies', async () => {
    const res = await http(`${url}/api/messages`, 'POST', { userId: 'h1', type: 'text', text: '支付' });
    expect(res.status).to.equal(200);
    expect(res.body.message).to.include({ userId: 'h1', from: 'user', text: '支付' });
    expect(res.body.replies[0]).to.include({ from: 'bot', type: 'news', replyTo: res.body.message.id });
    expect(res.body.replies[0].articles[0].sectionId).to.equal('payment');
  });

  it('GET /api/messages pages history oldest first with limit and before', async () => {
    for (const text of ['1', '2', '3', '4']) {
      await http(`${url}/api/messages`, 'POST', { userId: 'h2', type: 'text', text });
    }
    const all = await http(`${url}/api/messages?userId=h2`, 'GET');
    expect(all.body.messages).to.have.length(8);
    expect(all.body.messages.map((m: { from: string }) => m.from)).to.deep.equal(['user', 'bot', 'user', 'bot', 'user', 'bot', 'user', 'bot']);
    const newest = await http(`${url}/api/messages?userId=h2&limit=3`, 'GET');
    expect(newest.body.messages.map((m: { id: string }) => m.id)).to.deep.equal(all.body.messages.slice(5).map((m: { id: string }) => m.id));
    const older = await http(`${url}/api/messages?userId=h2&limit=3&before=${newest.body.messages[0].id}`, 'GET');
    expect(older.body.messages.map((m: { id: string }) => m.id)).to.deep.equal(all.body.messages.slice(2, 5).map((m: { id: string }) => m.id));
    const unknown = await http(`${url}/api/messages?userId=nobody`, 'GET');
    expect(unknown.body).to.deep.equal({ messages: [] });
  });

  const badRequests: Array<[string, unknown, number, string]> = [
    ['no userId', { type: 'text', text: 'hi' }, 400, 'bad_request'],
    ['a bad userId', { userId: 'a/b', type: 'text', text: 'hi' }, 400, 'bad_request'],
    ['no type', { userId: 'h3', text: 'hi' }, 400, 'bad_request'],
    ['empty text', { userId: 'h3', type: 'text', text: '   ' }, 400, 'bad_request'],
    ['text over 2000 characters', { userId: 'h3', type: 'text', text: 'y'.repeat(2001) }, 400, 'too_long'],
    ['an unknown event', { userId: 'h3', type: 'event', event: 'boom' }, 400, 'bad_request'],
    ['a JSON array', [1], 400, 'bad_request'],
    ['malformed JSON', '{"userId": "h3", "type": "te', 400, 'bad_request'],
    ['a body over the size limit', { userId: 'h3', type: 'text', text: 'z'.repeat(100_000) }, 413, 'too_large'],
  ];
  for (const [what, body, status, code] of badRequests) {
    it(`POST /api/messages with ${what} → ${status} ${code}, storing nothing`, async () => {
      const res = await http(`${url}/api/messages`, 'POST', body);
      expect(res.status).to.equal(status);
      expect(res.body.error.code).to.equal(code);
      expect(res.body.error.message).to.be.a('string').with.length.greaterThan(5);
      const history = await http(`${url}/api/messages?userId=h3`, 'GET');
      expect(history.body.messages).to.deep.equal([]);
    });
  }

  it('GET /api/messages refuses bad parameters', async () => {
    for (const query of ['', 'userId=a%20b', 'userId=ok&limit=0', 'userId=ok&limit=201', 'userId=ok&limit=abc']) {
      const res = await http(`${url}/api/messages?${query}`, 'GET');
      expect(res.status, query).to.equal(400);
      expect(res.body.error.code).to.equal('bad_request');
    }
    const res = await http(`${url}/api/messages?userId=h1&before=nope`, 'GET');
    expect(res.status).to.equal(404);
    expect(res.body.error.code).to.equal('not_found');
  });

  it('GET /api/article lists the title and the sections with their keywords', async () => {
    const res = await http(`${url}/api/article`, 'GET');
    expect(res.status).to.equal(200);
    expect(res.body.title).to.equal('Tencent sets up the WeChat Business Group');
    expect(res.body.sections).to.have.length(7);
    expect(res.body.sections[1]).to.deep.include({ id: 'payment', number: 2, title: 'Activate Mobile Payment' });
    expect(res.body.sections[1].keywords).to.include('支付');
    expect(res.body.sections[1]).not.to.have.property('text');
  });

  it('GET /api/article/sections/:id gives one whole section, or 404', async () => {
    const res = await http(`${url}/api/article/sections/games`, 'GET');
    expect(res.status).to.equal(200);
    expect(res.body.title).to.equal('Promoting the development of mobile games');
    expect(res.body.text).to.match(/^Since its inception/).and.include('12 billion yuan');
    const missing = await http(`${url}/api/article/sections/nope`, 'GET');
    expect(missing.status).to.equal(404);
    expect(missing.body.error.code).to.equal('not_found');
  });

  it('answers unknown API routes with a JSON 404', async () => {
    const res = await http(`${url}/api/nothing`, 'GET');
    expect(res.status).to.equal(404);
    expect(res.body.error.code).to.equal('not_found');
  });
});

describe('HTTP: keyword rules', () => {
  let server: Running;
  let url: string;
  beforeEach(async () => {
    server = await startServer();
    url = server.url;
  });
  afterEach(() => server.close());

  const say = async (text: string) => (await http(`${url}/api/messages`, 'POST', { userId: 'r1', type: 'text', text })).body.replies;
  const rule = {
    name: 'Red envelopes',
    keywords: [
      { text: 'red envelope', match: 'contain' },
      { text: '红包', match: 'equal' },
    ],
    replies: [{ type: 'text', text: 'Red envelopes are not in this article.' }],
    replyMode: 'all',
  };

  it('lists the seeded rules', async () => {
    const res = await http(`${url}/api/rules`, 'GET');
    expect(res.status).to.equal(200);
    expect(res.body.rules.map((r: { id: string }) => r.id)).to.include.members(['greeting', 'thanks', 'wechat-pay']);
  });

  it('creates, reads, replaces and deletes a rule, and the bot follows each change', async () => {
    const created = await http(`${url}/api/rules`, 'POST', { id: 'red', ...rule });
    expect(created.status).to.equal(201);
    expect(created.body.rule).to.deep.include({ id: 'red', name: 'Red envelopes' });
    expect((await http(`${url}/api/rules/red`, 'GET')).body.rule.keywords).to.have.length(2);
    expect((await say('any red envelope today?'))[0].text).to.equal('Red envelopes are not in this article.');
    expect((await say('红包'))[0].text).to.equal('Red envelopes are not in this article.');

    const replaced = await http(`${url}/api/rules/red`, 'PUT', { ...rule, replies: [{ type: 'section', sectionId: 'games' }] });
    expect(replaced.status).to.equal(200);
    expect((await say('红包'))[0].articles[0].sectionId).to.equal('games');

    const deleted = await http(`${url}/api/rules/red`, 'DELETE');
    expect(deleted.status).to.equal(204);
    expect((await http(`${url}/api/rules/red`, 'GET')).status).to.equal(404);
    expect((await say('红包'))[0].text).not.to.equal('Red envelopes are not in this article.');
  });

  it('creates a rule with a generated id, and PUT to a new id creates it', async () => {
    const created = await http(`${url}/api/rules`, 'POST', rule);
    expect(created.status).to.equal(201);
    expect(created.body.rule.id).to.match(/^[A-Za-z0-9_-]+$/);
    const put = await http(`${url}/api/rules/fresh`, 'PUT', rule);
    expect(put.status).to.equal(201);
    const conflict = await http(`${url}/api/rules`, 'POST', { id: 'fresh', ...rule });
    expect(conflict.status).to.equal(409);
    expect(conflict.body.error.code).to.equal('conflict');
  });

  const badRules: Array<[string, unknown, RegExp]> = [
    ['no name', { ...rule, name: undefined }, /^name: /],
    ['no keywords', { ...rule, keywords: [] }, /^keywords: /],
    ['a bad match mode', { ...rule, keywords: [{ text: 'x', match: 'fuzzy' }] }, /^keywords\.0\.match: /],
    ['an empty keyword', { ...rule, keywords: [{ text: ' ', match: 'equal' }] }, /^keywords\.0\.text: /],
    ['no replies', { ...rule, replies: [] }, /^replies: /],
    ['a reply of an unknown type', { ...rule, replies: [{ type: 'video' }] }, /^replies\.0/],
    ['a section that does not exist', { ...rule, replies: [{ type: 'section', sectionId: 'nope' }] }, /^replies\.0\.sectionId: there is no section "nope"/],
    ['nine news cards', { ...rule, replies: [{ type: 'news', articles: Array(9).fill({ title: 't', url: '/x' }) }] }, /^replies\.0\.articles/],
    ['a bad reply mode', { ...rule, replyMode: 'sometimes' }, /^replyMode: /],
    ['a bad id', { ...rule, id: 'has space' }, /^id: /],
  ];
  for (const [what, body, message] of badRules) {
    it(`refuses a rule with ${what}: 400 naming the field, nothing stored`, async () => {
      const before = (await http(`${url}/api/rules`, 'GET')).body.rules;
      const res = await http(`${url}/api/rules`, 'POST', body);
      expect(res.status).to.equal(400);
      expect(res.body.error.code).to.equal('bad_request');
      expect(res.body.error.message).to.match(message);
      expect((await http(`${url}/api/rules`, 'GET')).body.rules).to.deep.equal(before);
    });
  }

  it('404s on reading, replacing-with-a-bad-body or deleting an unknown rule', async () => {
    expect((await http(`${url}/api/rules/ghost`, 'GET')).status).to.equal(404);
    expect((await http(`${url}/api/rules/ghost`, 'DELETE')).status).to.equal(404);
    expect((await http(`${url}/api/rules/ghost`, 'PUT', { name: 'x' })).status).to.equal(400);
  });

  it('keeps every rule when many are created at once', async () => {
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => http(`${url}/api/rules`, 'POST', { id: `many-${i}`, ...rule })),
    );
    expect(results.map((r) => r.status)).to.deep.equal(Array(10).fill(201));
    const ids = (await http(`${url}/api/rules`, 'GET')).body.rules.map((r: { id: string }) => r.id);
    for (let i = 0; i < 10; i++) expect(ids).to.include(`many-${i}`);
  });
});
