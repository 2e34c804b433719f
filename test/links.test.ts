// The one link check the server's schemas and the chat window share (server/links.ts), over hostile links.
import { expect } from 'chai';
import { safeHref } from '../client/src/format.ts';
import { isSafeLink, linkTarget } from '../server/links.ts';
import { http, startServer, type Running } from './helpers.ts';

const ORIGIN = 'http://127.0.0.1:3000';

// Each of these leaves the site, runs script, or is read differently by browsers than it looks.
const HOSTILE = [
  'javascript:alert(1)',
  'JavaScript:alert(1)',
  ' javascript:alert(1)',
  'java\tscript:alert(1)',
  'data:text/html,<script>alert(1)</script>',
  'vbscript:msgbox(1)',
  'file:///etc/passwd',
  '//evil.example/x',
  '/\\evil.example/x',
  '\\\\evil.example/x',
  '/\t/evil.example/x',
  '\t//evil.example/x',
  '/\n/evil.example/x',
  '/x\u0000',
  '/x\u007f',
  'http://evil.example/\\x',
  'evil.example/x',
  'x',
  '',
];

// Paths on the site and http(s) anywhere stay allowed.
const SAFE: Array<[string, string]> = [
  ['/', '/'],
  ['/#/sections/games', '/#/sections/games'],
  ['/api/media/m_1', '/api/media/m_1'],
  ['/a/..//evil.example', '/a/..//evil.example'], // resolves to the path //evil.example, on this site
  ['/%5Cevil.example', '/%5Cevil.example'],
  ['https://example.com/a?b=c#d', 'https://example.com/a?b=c#d'],
  ['HTTP://Example.com', 'http://example.com/'],
];

describe('links: the shared check', () => {
  for (const url of HOSTILE) {
    it(`refuses ${JSON.stringify(url)} on the server and in the window`, () => {
      expect(isSafeLink(url)).to.equal(false);
      expect(linkTarget(url, ORIGIN)).to.equal(undefined);
      expect(safeHref(url, ORIGIN)).to.equal(undefined);
    });
  }

  it('keeps paths on this site and http(s) URLs', () => {
    for (const [url, target] of SAFE) {
      expect(isSafeLink(url), url).to.equal(true);
      expect(linkTarget(url, ORIGIN), url).to.equal(target);
    }
    expect(safeHref('#top', ORIGIN)).to.equal('#top'); // the window's own anchors
  });

  it('keeps every resolved safe link on the origin or on http(s)', () => {
    for (const [url] of SAFE) {
      const resolved = new URL(linkTarget(url, ORIGIN)!, ORIGIN);
      expect(resolved.origin === ORIGIN || /^https?:$/.test(resolved.protocol), url).to.equal(true);
    }
  });
});

describe('links: what the server stores', () => {
  let server: Running;
  before(async () => {
    server = await startServer();
  });
  after(() => server.close());

  const rule = (url: string, picUrl?: string) => ({
    name: 'Links',
    keywords: [{ text: 'link', match: 'equal' }],
    replies: [{ type: 'news', articles: [{ title: 'A card', url, picUrl }] }],
  });

  it('refuses a rule whose card links to javascript: or off the site through "/\\" (400), storing nothing', async () => {
    const before = (await http(`${server.url}/api/rules`, 'GET')).body.rules;
    for (const body of [rule('javascript:alert(1)'), rule('/\\evil.example/x'), rule('/ok', 'javascript:alert(1)')]) {
      const res = await http(`${server.url}/api/rules`, 'POST', body);
      expect(res.status).to.equal(400);
      expect(res.body.error.code).to.equal('bad_request');
      expect(res.body.error.message).to.match(/url: must be a path on this server or an http\(s\) URL/i);
    }
    expect((await http(`${server.url}/api/rules`, 'GET')).body.rules).to.deep.equal(before);
    expect((await http(`${server.url}/api/rules`, 'POST', rule('/#/sections/games', 'https://example.com/c.png'))).status).to.equal(201);
  });

  it('refuses a menu link event whose url leaves the site through "/\\" or a tab (400)', async () => {
    for (const url of ['/\\evil.example/x', '/\t/evil.example/x']) {
      const res = await http(`${server.url}/api/messages`, 'POST', { userId: 'reader', type: 'event', event: 'view', url });
      expect(res.status, url).to.equal(400);
      expect(res.body.error.code).to.equal('bad_request');
    }
    expect((await http(`${server.url}/api/messages?userId=reader`, 'GET')).body.messages).to.deep.equal([]);
  });
});
