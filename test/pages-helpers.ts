// Test helpers for the pages half: an official-account server whose pages log users in with `wechat-oauth`
// (code no one here wrote, pointed at the simulator by overriding its `request`, as its users do), beside its
// /wechat endpoint (node-webot's `wechat`), so the simulator's default domains are that server's host and port.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import express from 'express';
import wechat from 'wechat';
import OAuth from 'wechat-oauth';
import API from 'co-wechat-api';
import type { App } from '../server/app/app.ts';
import { openApp } from '../server/app/start.ts';
import { clientDir } from '../server/config.ts';
import { silentLogger } from '../server/logger.ts';
import { memoryStore } from '../server/store/low-store.ts';
import { remoteResponder } from '../server/wechat/remote-bot.ts';
import { targetContent } from './helpers.ts';
import { APPID, SECRET, TOKEN } from './platform-helpers.ts';

const WECHAT_API = 'https://api.weixin.qq.com';

/** A wechat-oauth client whose calls go to the simulator at `simulator` (a function: the simulator starts after the server). */
export function oauthClient(simulator: () => string, secret = SECRET, appId = APPID): OAuth {
  const oauth = new OAuth(appId, secret);
  const request = oauth.request.bind(oauth);
  oauth.request = (url, opts, callback) => request(url.replace(WECHAT_API, simulator()), opts, callback);
  return oauth;
}

export type PagesServer = { origin: string; wechatUrl: string; oauth: OAuth; close: () => Promise<void> };

/**
 * The account's server: `/wechat` answers pushes with nothing, `/login` sends the browser to the authorize URL
 * wechat-oauth builds, `/callback?code` exchanges the code and answers the user's openid and nickname (or
 * the platform's errcode, as the library reports it).
 */
export async function pagesServer(simulator: () => string, scope = 'snsapi_userinfo'): Promise<PagesServer> {
  const oauth = oauthClient(simulator);
  const getAccessToken = promisify(oauth.getAccessToken.bind(oauth));
  const getUser = promisify(oauth.getUser.bind(oauth));
  const app = express();
  let origin = '';
  app.use('/wechat', wechat(TOKEN, (_req: unknown, res: { reply: (content: string) => void }) => res.reply('')));
  app.get('/login', (_req, res) => res.redirect(oauth.getAuthorizeURL(`${origin}/callback`, 'xyz', scope)));
  app.get('/callback', async (req, res) => {
    try {
      const token = await getAccessToken(String(req.query.code));
      const user = scope === 'snsapi_userinfo' ? await getUser(token.data.openid) : { openid: token.data.openid };
      res.json({ state: req.query.state, scope: token.data.scope, ...user });
    } catch (err) {
      res.status(500).json({ errcode: (err as { code?: number }).code, message: (err as Error).message });
    }
  });
  const server: Server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    wechatUrl: `${origin}/wechat`,
    oauth,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Follows one redirect by hand (the next hop's Location), as a browser would, without following further. */
export async function hop(url: string, init: RequestInit = {}): Promise<{ status: number; location?: string; body: string; headers: Headers }> {
  const res = await fetch(url, { ...init, redirect: 'manual' });
  return { status: res.status, location: res.headers.get('location') ?? undefined, body: await res.text(), headers: res.headers };
}

/** Listens on a free port with `site` (the account's server); `close` drops its connections and stops it. */
export async function listenSite(site: express.Express): Promise<{ port: number; close: () => Promise<void> }> {
  const server = createServer(site);
  await new Promise<void>((resolve) => server.listen(0, resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * The simulator in front of the account's server on `port` (its /wechat, token `tok`), in memory, with the
 * chat window, and co-wechat-api pointed at it with the account's credentials.
 */
export async function simulatorInFront(port: number, credentials: { appId: string; secret: string }): Promise<{ app: App; url: string; api: InstanceType<typeof API> }> {
  const target = { url: `http://localhost:${port}/wechat`, token: 'tok' };
  const app = await openApp({ store: memoryStore(), content: targetContent('Shop'), logger: silentLogger, clientDir, responder: remoteResponder(target), platform: { ...credentials, target } });
  const url = await app.listen(0, '127.0.0.1');
  const api = new API(credentials.appId, credentials.secret);
  api.prefix = `${url}/cgi-bin/`;
  return { app, url, api };
}
