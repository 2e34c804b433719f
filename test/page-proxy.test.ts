// The page proxy over real HTTP: origin labels both ways, the bridge first in <head>, cookies and redirects kept
// on the pages host, WeChat's authorize address sent to the simulator, and nothing but named origins served.
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import express from 'express';
import type { App } from '../server/app/app.ts';
import { openApp } from '../server/app/start.ts';
import { silentLogger } from '../server/logger.ts';
import { insertFirstInHead } from '../server/pages/insert-bridge.ts';
import { labelOf, originOfLabel } from '../server/pages/page-hosts.ts';
import { memoryStore } from '../server/store/low-store.ts';
import { seedContent } from './helpers.ts';

describe('pages hosts and the bridge tag', () => {
  it('labels origins reversibly, https and hyphens included, and refuses other spellings', () => {
    for (const origin of ['http://localhost:8080', 'https://pay.example.com', 'http://127.0.0.1:3000', 'http://xn--fiq228c.example:81', 'http://a-b.c:80']) {
      const labelled = labelOf(origin);
      expect(labelled).to.have.property('label');
      expect(originOfLabel((labelled as { label: string }).label)).to.equal(new URL(origin).origin);
    }
    expect(labelOf('http://localhost:8080')).to.deep.equal({ label: 'localhost-8080' });
    expect(labelOf('https://pay.example.com')).to.deep.equal({ label: 'pay-example-com-443-s' });
    for (const bad of ['localhost', 'localhost-08080', 'a---b-80', 'localhost-99999', '-80']) expect(originOfLabel(bad)).to.equal(undefined);
    expect(labelOf('ftp://x.example')).to.have.property('problem');
  });

  it('puts the tag first in <head>, or where the head begins, and changes nothing else', () => {
    const tag = '<script src="/b.js"></script>';
    expect(insertFirstInHead('<!doctype html><html lang="zh"><head data-x=">"><title>t</title>', tag)).to.equal(`<!doctype html><html lang="zh"><head data-x=">">${tag}<title>t</title>`);
    expect(insertFirstInHead('<!-- <head> --><p>hi</p>', tag)).to.equal(`<!-- <head> -->${tag}<p>hi</p>`);
    expect(insertFirstInHead('\ufeff<html><body>x', tag)).to.equal(`\ufeff<html>${tag}<body>x`);
    expect(insertFirstInHead('<!doctype html', tag)).to.equal(undefined);
  });
});

describe('page proxy', () => {
  let target: Server;
  let port = 0;
  let app: App;
  let sim = '';
  let seen: Record<string, string | undefined> = {};
  before(async () => {
    const site = express();
    site.get('/page', (req, res) => {
      seen = { host: req.get('host'), ua: req.get('user-agent'), cookie: req.get('cookie') };
      res.cookie('sid', 'abc', { domain: 'localhost', path: '/' }).set('X-Frame-Options', 'DENY').type('html').send('<html><head><title>p</title></head><body>é</body></html>');
    });
    site.get('/go', (_req, res) => res.redirect(`http://localhost:${port}/page`));
    site.get('/login', (_req, res) => res.redirect('https://open.weixin.qq.com/connect/oauth2/authorize?appid=wx1&redirect_uri=x&response_type=code&scope=snsapi_base&state=s#wechat_redirect'));
    target = createServer(site);
    await new Promise<void>((resolve) => target.listen(0, resolve));
    port = (target.address() as AddressInfo).port;
    const targetOptions = { url: `http://localhost:${port}/wechat`, token: 'tok' };
    app = await openApp({ store: memoryStore(), content: seedContent(), logger: silentLogger, platform: { target: targetOptions } });
    sim = await app.listen(0, '127.0.0.1');
  });
  after(async () => {
    await app.close();
    target.closeAllConnections();
    await new Promise<void>((resolve) => target.close(() => resolve()));
  });

  /** A GET to the simulator with the Host a browser would send for the pages host `label`. */
  function get(label: string, path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
    const simPort = new URL(sim).port;
    return new Promise((resolve, reject) => {
      const req = request(`${sim}${path}`, { headers: { host: `${label}.pages.localhost:${simPort}`, ...headers } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      });
      req.on('error', reject);
      req.end();
    });
  }

  it('serves the target’s page as WeChat asks for it, the bridge first in <head>, its cookie for the pages host', async () => {
    const res = await get(`localhost-${port}`, '/page', { cookie: 'a=1', 'user-agent': 'curl' });
    expect(res.status).to.equal(200);
    expect(res.body).to.equal('<html><head><script src="/.wechat-oa-simulator/bridge.js"></script><title>p</title></head><body>é</body></html>');
    expect(seen).to.deep.equal({ host: `localhost:${port}`, ua: seen.ua, cookie: 'a=1' });
    expect(seen.ua).to.include('MicroMessenger/8.0.47');
    expect(res.headers['set-cookie']).to.deep.equal(['sid=abc; Path=/']);
    expect(res.headers).not.to.have.property('x-frame-options');
  });

  it('keeps redirects inside: to the pages host for a served origin, WeChat’s authorize page to the simulator', async () => {
    const simPort = new URL(sim).port;
    expect((await get(`localhost-${port}`, '/go')).headers.location).to.equal(`http://localhost-${port}.pages.localhost:${simPort}/page`);
    expect((await get(`localhost-${port}`, '/login')).headers.location).to.equal(`http://localhost:${simPort}/connect/oauth2/authorize?appid=wx1&redirect_uri=x&response_type=code&scope=snsapi_base&state=s`);
  });

  it('serves no origin the server did not name, and none of the simulator’s own routes on a pages host', async () => {
    expect((await get('example-com-80', '/')).status).to.equal(403);
    expect((await get('not--a-label', '/')).status).to.equal(400);
    const socket = await get(`localhost-${port}`, '/socket.io/?EIO=4&transport=polling');
    expect(socket.body).not.to.include('"sid"');
    const opened = await fetch(`${sim}/api/pages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ userId: 'u1', url: 'http://example.com/' }) });
    expect(opened.status).to.equal(403);
    expect(((await opened.json()) as { error: { code: string } }).error.code).to.equal('page_not_allowed');
  });
});
