// The JS-SDK's server side: the signature against the platform's published vector, getticket, and wx.config's
// check against what code no one here wrote signs: co-wechat-api's getJsConfig and wechat-jssdk's getSignature,
// both fetching their ticket from the simulator; tampered, forged, expired and off-domain configs refused.
import { expect } from 'chai';
import API from 'co-wechat-api';
import { JSSDK, Store } from 'wechat-jssdk';
import { checkJsConfig, jsapiSignature } from '../server/platform/js-config.ts';
import { parseWebDomain, onDomains } from '../server/platform/web-domains.ts';
import { memoryStore } from '../server/store/low-store.ts';
import type { ChatStore } from '../server/store/chat-store.ts';
import { accessToken, APPID, cgi, platformSimulatorOn, SECRET, type Simulator } from './platform-helpers.ts';

const domains = (...entries: string[]) => entries.map((entry) => parseWebDomain(entry)!);

describe('JS-SDK signature and domains', () => {
  it('gives the platform’s published signature', () => {
    const signature = jsapiSignature({
      jsapi_ticket: 'sM4AOVdWfPE4DxkXGEs8VMCPGGVi4C3VM0P37wVUCFvkVAy_90u5h9nbSlYy3-Sl-HhTdfl2fzFy1AOcHKP7qg',
      noncestr: 'Wm3WZYTPz0wzccnW',
      timestamp: '1414587457',
      url: 'http://mp.weixin.qq.com?params=value',
    });
    expect(signature).to.equal('0f9de62fce790f9a083d5c99e95740ceb90c27ed');
  });

  it('matches hosts with their subdomains, on the entry’s port (default ports without one)', () => {
    const list = domains('example.com', 'localhost:8080');
    expect(onDomains('https://example.com/a', list)).to.equal(true);
    expect(onDomains('http://m.example.com/a?x#y', list)).to.equal(true);
    expect(onDomains('http://example.com:8080/', list)).to.equal(false);
    expect(onDomains('http://badexample.com/', list)).to.equal(false);
    expect(onDomains('http://localhost:8080/page', list)).to.equal(true);
    expect(onDomains('http://localhost/page', list)).to.equal(false);
    expect(onDomains('ftp://example.com/', list)).to.equal(false);
    expect(parseWebDomain('http://example.com')).to.equal(undefined);
    expect(parseWebDomain('example.com/path')).to.equal(undefined);
    expect(parseWebDomain('example.com:443')).to.deep.equal({ host: 'example.com' });
  });

  it('checks wx.config: the domain first, then the appId and the signature over the URL without its fragment', () => {
    const ticket = 'T'.repeat(86);
    const url = 'http://localhost:8080/page?x=1';
    const config = { appId: APPID, timestamp: '1700000000', nonceStr: 'n0nce', signature: jsapiSignature({ jsapi_ticket: ticket, noncestr: 'n0nce', timestamp: '1700000000', url }), url: `${url}#top`, jsApiList: ['chooseImage'] };
    const account = { appId: APPID, tickets: ['other', ticket], jsDomains: domains('localhost:8080') };
    expect(checkJsConfig(config, account)).to.deep.equal({ ok: true, jsApiList: ['chooseImage'] });
    expect(checkJsConfig({ ...config, url: 'http://localhost:9090/page?x=1' }, account)).to.include({ errMsg: 'config:invalid url domain' });
    expect(checkJsConfig({ ...config, appId: 'wx_other' }, account)).to.include({ errMsg: 'config:invalid signature' });
    expect(checkJsConfig({ ...config, url: `${url}&y=2` }, account)).to.include({ errMsg: 'config:invalid signature' });
    expect(checkJsConfig(config, { ...account, tickets: [] })).to.include({ errMsg: 'config:invalid signature' });
  });
});

describe('JS-SDK against co-wechat-api and wechat-jssdk', () => {
  let now = Date.now();
  let store: ChatStore;
  let sim: Simulator;
  const PAGE = 'http://127.0.0.1:8080/shop?item=7';
  beforeEach(async () => {
    now = Date.now();
    store = memoryStore();
    sim = await platformSimulatorOn(store, 'http://127.0.0.1:8080/wechat', { now: () => now });
  });
  afterEach(() => sim.close());

  const check = (config: Record<string, unknown>, url: string) => sim.app.platform.web().checkJsConfig({ ...config, url } as Parameters<ReturnType<typeof sim.app.platform.web>['checkJsConfig']>[0]);

  it('accepts co-wechat-api’s getJsConfig for its page, and refuses it for a tampered URL, another host, and after the ticket expired', async () => {
    const api = new API(APPID, SECRET);
    api.prefix = `${sim.url}/cgi-bin/`;
    const config = await api.getJsConfig({ url: PAGE, jsApiList: ['chooseImage', 'getLocation'] });
    expect(await check(config, PAGE)).to.deep.equal({ ok: true, jsApiList: ['chooseImage', 'getLocation'] });
    expect(await check(config, `${PAGE}&item=8`)).to.include({ ok: false, errMsg: 'config:invalid signature' });
    expect(await check(config, 'http://127.0.0.2:8080/shop?item=7')).to.include({ ok: false, errMsg: 'config:invalid url domain' });
    now += 2 * 3600_000 + 1;
    expect(await check(config, PAGE)).to.include({ ok: false, errMsg: 'config:invalid signature' });
  });

  it('accepts wechat-jssdk’s getSignature with its apiUrl, accessTokenUrl and ticketUrl pointed at the simulator', async () => {
    const jssdk = new JSSDK({
      appId: APPID,
      appSecret: SECRET,
      wechatToken: 'unused',
      apiUrl: sim.url,
      accessTokenUrl: `${sim.url}/cgi-bin/token`,
      ticketUrl: `${sim.url}/cgi-bin/ticket/getticket`,
      store: new Store(),
      clearCountInterval: 2 ** 31 - 1,
    });
    const signed = await jssdk.getSignature(PAGE);
    expect(await check({ appId: APPID, timestamp: signed.timestamp, nonceStr: signed.nonceStr, signature: signed.signature }, PAGE)).to.include({ ok: true });
    expect(await check({ appId: APPID, timestamp: signed.timestamp, nonceStr: signed.nonceStr, signature: signed.signature.replace(/^./, (c) => (c === 'a' ? 'b' : 'a')) }, PAGE)).to.include({ errMsg: 'config:invalid signature' });
  });

  it('hands out the same ticket until 5 minutes before it expires; refuses bad types and tokens, storing nothing', async () => {
    const token = await accessToken(sim.url);
    const first = (await cgi(sim.url, 'ticket/getticket?type=jsapi', token)).body;
    expect(first).to.include({ errcode: 0, errmsg: 'ok', expires_in: 7200 });
    expect(first.ticket).to.match(/^[A-Za-z0-9_-]{86}$/);
    expect((await cgi(sim.url, 'ticket/getticket?type=jsapi', token)).body.ticket).to.equal(first.ticket);
    const card = (await cgi(sim.url, 'ticket/getticket?type=wx_card', token)).body.ticket;
    expect(card).to.not.equal(first.ticket);
    const before = await store.records('js-tickets').list();
    expect((await cgi(sim.url, 'ticket/getticket?type=other', token)).body.errcode).to.equal(40097);
    expect((await cgi(sim.url, 'ticket/getticket?type=jsapi', 'forged')).body.errcode).to.equal(40001);
    expect((await cgi(sim.url, 'ticket/getticket?type=jsapi', undefined)).body.errcode).to.equal(41001);
    expect(await store.records('js-tickets').list()).to.have.length(before.length);
    // A wx_card ticket does not sign pages, nor does a ticket no simulator gave.
    for (const ticket of [card, first.ticket.replace(/^./, (c: string) => (c === 'Z' ? 'Y' : 'Z'))]) {
      const signature = jsapiSignature({ jsapi_ticket: ticket, noncestr: 'abc', timestamp: 1, url: PAGE });
      expect(await check({ appId: APPID, timestamp: 1, nonceStr: 'abc', signature }, PAGE)).to.include({ errMsg: 'config:invalid signature' });
    }
    now += 7200_000 - 5 * 60_000 + 1000;
    const second = (await cgi(sim.url, 'ticket/getticket?type=jsapi', await accessToken(sim.url))).body.ticket;
    expect(second).to.not.equal(first.ticket);
    // The old one signs pages until its own expiry.
    const signature = jsapiSignature({ jsapi_ticket: first.ticket, noncestr: 'abc', timestamp: 1, url: PAGE });
    expect(await check({ appId: APPID, timestamp: 1, nonceStr: 'abc', signature }, PAGE)).to.include({ ok: true });
  });
});
