// Test helpers for the platform API: an official-account server built with node-webot's `wechat` middleware
// (code no one here wrote), the simulator in front of it with the API configured, and JSON calls to /cgi-bin.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import wechat from 'wechat';
import { type App } from '../server/app/app.ts';
import { openApp } from '../server/app/start.ts';
import { silentLogger } from '../server/logger.ts';
import type { PlatformOptions } from '../server/platform/platform.ts';
import type { ChatStore } from '../server/store/chat-store.ts';
import { memoryLocation, type StoreLocation } from '../server/store/low-location.ts';
import { LowStore } from '../server/store/low-store.ts';
import { remoteResponder, type TargetOptions } from '../server/wechat/remote-bot.ts';
import { http, seedContent } from './helpers.ts';

export const TOKEN = 'platform-token';
export const APPID = 'wx0123456789abcdef';
export const SECRET = 'secret-of-the-account-0123456789';

/** A 1×1 PNG, byte for byte. */
export const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');

export type WeixinMessage = Record<string, string>;
type Reply = { reply: (content: unknown) => void };

/** An official-account server built with the `wechat` middleware; `received` has every message it was pushed. */
export async function accountServer(handle: (message: WeixinMessage, res: Reply) => void) {
  const received: WeixinMessage[] = [];
  const app = express();
  app.use(
    '/wechat',
    wechat(TOKEN, (req: { weixin: WeixinMessage }, res: Reply) => {
      received.push(req.weixin);
      handle(req.weixin, res);
    }),
  );
  const server: Server = createServer(app);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/wechat`,
    received,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

export type Simulator = { app: App; url: string; close: () => Promise<void> };

/** The simulator in front of `targetUrl` (when given) with the platform API configured; `platform` overrides. */
export function platformSimulator(targetUrl: string | undefined, platform: Partial<PlatformOptions> = {}, location: StoreLocation = memoryLocation()): Promise<Simulator> {
  return platformSimulatorOn(new LowStore(location), targetUrl, platform);
}

/** The same on any store (Redis, files). */
export async function platformSimulatorOn(store: ChatStore, targetUrl: string | undefined, platform: Partial<PlatformOptions> = {}): Promise<Simulator> {
  const target: TargetOptions | undefined = targetUrl ? { url: targetUrl, token: TOKEN, retries: 0 } : undefined;
  const app = await openApp({
    store,
    content: seedContent(),
    logger: silentLogger,
    responder: target && remoteResponder(target),
    // One clock for the whole simulator: messages are stamped by the clock the platform's windows are measured with.
    environment: platform.now && (() => ({ now: new Date(platform.now!()), random: Math.random })),
    platform: { appId: APPID, secret: SECRET, target, ...platform },
  });
  const url = await app.listen(0, '127.0.0.1');
  return { app, url, close: () => app.close() };
}

/** A fresh access token from GET /cgi-bin/token. */
export async function accessToken(base: string): Promise<string> {
  const { body } = await http(`${base}/cgi-bin/token?grant_type=client_credential&appid=${APPID}&secret=${SECRET}`, 'GET');
  if (typeof body?.access_token !== 'string') throw new Error(`no token: ${JSON.stringify(body)}`);
  return body.access_token;
}

/** One API call with a token: GET without a body, POST with one; the HTTP status and the JSON answer. */
export function cgi(base: string, path: string, token: string | undefined, body?: unknown) {
  const sep = path.includes('?') ? '&' : '?';
  const url = `${base}/cgi-bin/${path}${token === undefined ? '' : `${sep}access_token=${encodeURIComponent(token)}`}`;
  return http(url, body === undefined ? 'GET' : 'POST', body);
}
