// Builds the whole server from its parts; main.ts only reads the environment and listens.
import { createServer, type IncomingMessage, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import cors from 'cors';
import express from 'express';
import helmet from 'helmet';
import { Server } from 'socket.io';
import type { Content } from '../content/load-content.ts';
import { buildKnowledge } from '../bot/knowledge.ts';
import type { Environment } from '../bot/engine.ts';
import { ChatService, type Responder } from '../core/chat-service.ts';
import { joinCluster } from './cluster.ts';
import type { ChatStore } from '../store/chat-store.ts';
import { ACK_TIMEOUT_MS, MAX_BODY_BYTES } from '../limits.ts';
import type { Logger } from '../logger.ts';
import { RateLimits } from '../core/rate-limits.ts';
import { allowedOrigins, clientAddress, crossSiteRefusal, originAllowed, refuseCrossSiteWrites, requireAdmin, requireJson, requireKnownHost, UNLIMITED, type SecurityOptions, type TrustProxy } from './security.ts';
import { AllowedHosts } from './hosts.ts';
import { attachSocketTransport, type ChatServer } from '../transport/socket.ts';
import { addressLimit } from '../transport/http-limits.ts';
import { requestLogging } from '../transport/http-logging.ts';
import { chatRoutes } from '../transport/http-chat.ts';
import { articleRoutes } from '../transport/http-article.ts';
import { ruleRoutes } from '../transport/http-rules.ts';
import { mediaRoutes } from '../transport/http-media.ts';
import { userMediaRoutes } from '../transport/http-user-media.ts';
import { errorHandler, notFound } from '../transport/http-errors.ts';
import { wechatRoutes, type WechatOptions } from '../transport/wechat.ts';
import { platformRoutes } from '../transport/http-platform.ts';
import { Platform, type PlatformOptions } from '../platform/platform.ts';
import { Followers } from '../platform/users.ts';
import { isSigned } from '../wechat/signature.ts';

export type AppOptions = {
  store: ChatStore;
  content: Content;
  logger: Logger;
  /** Folder of the built browser client (index.html and assets/), served at `/`. */
  clientDir?: string;
  environment?: () => Environment;
  /** The /wechat endpoint's settings. */
  wechat?: WechatOptions;
  /** Answers in place of the local engine (the simulator in front of another server). */
  responder?: Responder;
  /** Rate and size limits, CORS, the admin token; UNLIMITED (but CORS closed) when not given. */
  security?: SecurityOptions;
  /** The platform API under /cgi-bin/ (credentials, templates, the target its events go to). */
  platform?: PlatformOptions;
  /** The Redis every process shares (REDIS_URL): pushes and rate limits cross processes through it. */
  redisUrl?: string;
};

export type App = {
  httpServer: HttpServer;
  io: ChatServer;
  service: ChatService;
  /** Listens and resolves with the base URL, e.g. http://127.0.0.1:54321. */
  listen: (port: number, host?: string) => Promise<string>;
  /** Stops accepting, closes sockets, finishes pending writes. */
  close: () => Promise<void>;
  /** Sockets open now, for leak checks. */
  openSockets: () => number;
};

/** Socket.IO server options; the benchmark's echo server uses the very same. */
export const SOCKET_SERVER_OPTIONS = { maxHttpBufferSize: MAX_BODY_BYTES, perMessageDeflate: false } as const;

/** Opens the store and wires the chat service to HTTP and Socket.IO. */
export async function createApp({ store, content, logger, clientDir, environment, wechat = {}, responder, security = UNLIMITED, platform: platformOptions = {}, redisUrl }: AppOptions): Promise<App> {
  await store.open(content.seedRules);
  const cluster = redisUrl ? await joinCluster(redisUrl, (message, err) => logger.warn({ err }, message)) : undefined;
  const knowledge = buildKnowledge({ account: content.account, article: content.article, rules: store.rules() });
  const limits = new RateLimits(security.rateLimits, cluster?.limits);
  // Users who reach a server under test are known to its API by OpenID from their first message on.
  const followers = new Followers(store, platformOptions.now ?? Date.now);
  const service = new ChatService({ store, knowledge, environment, responder: responder && followers.tracking(responder), limits });
  const platform = new Platform({ store, service, followers, logger }, platformOptions);
  await platform.restoreMenu();
  store.onRulesChanged?.((rules) => service.useRules(rules));
  const corsOrigin = allowedOrigins(security.corsOrigins);
  const hosts = new AllowedHosts(security.allowedHosts ?? []);

  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', security.trustProxy ?? false);
  const trust = app.get('trust proxy fn') as TrustProxy;
  app.use(requestLogging(logger));
  app.use(
    helmet({
      contentSecurityPolicy: {
        directives: {
          // No inline script, ever: messages are rendered as text, and this is the second line of defence.
          'script-src': ["'self'"],
          'connect-src': ["'self'"],
          // News cards may carry covers from anywhere, as WeChat's do.
          'img-src': ["'self'", 'data:', 'https:', 'http:'],
          // The simulator is served over plain HTTP on local networks; upgrading would break it there.
          'upgrade-insecure-requests': null,
        },
      },
    }),
  );
  // Closed unless origins are configured: without CORS headers, pages of other sites cannot read answers.
  if (corsOrigin) app.use(cors({ origin: corsOrigin }));
  // The platform API answers its callers itself, HTTP 200 and JSON, with its own limits (see http-platform.ts).
  // Its GETs change things too (menu/delete), so pages of other sites may not call it at all.
  const platformRefusal = (req: IncomingMessage) => hosts.refusal(req.headers.host) ?? crossSiteRefusal(req, security.corsOrigins);
  app.use('/cgi-bin', platformRoutes({ platform, service, limits, logger, refusal: platformRefusal }));
  app.use(requireKnownHost(hosts));
  app.use(refuseCrossSiteWrites(security.corsOrigins));
  // The platform posts every user's messages from its own servers: signed /wechat requests are limited per user instead.
  app.use(addressLimit(limits, (req) => req.path === '/wechat' && !!wechat.token && isSigned(req.query, wechat.token)));
  app.use(['/api/messages', '/api/rules'], requireJson);
  app.use(express.json({ limit: MAX_BODY_BYTES }));
  app.get('/healthz', async (_req, res) => {
    const problem = await store.unavailable?.();
    if (problem) res.status(503).json({ status: 'unavailable', reason: problem });
    else res.json({ status: 'ok' });
  });
  app.use(chatRoutes(service));
  app.use(articleRoutes(service));
  app.use(ruleRoutes(service, requireAdmin(security.adminToken)));
  app.use(mediaRoutes(store));
  app.use(userMediaRoutes(store, platformOptions.now));
  app.use(wechatRoutes(service, wechat, logger));
  if (clientDir) {
    // Assets have content hashes in their names, so they never change; the page itself is always revalidated.
    app.use('/assets', express.static(path.join(clientDir, 'assets'), { immutable: true, maxAge: '1y', index: false }));
    app.use(express.static(clientDir, { index: 'index.html', setHeaders: (res) => res.setHeader('Cache-Control', 'no-cache') }));
  }
  app.use(notFound());
  app.use(errorHandler(logger));

  const httpServer = createServer(app);
  const io: ChatServer = new Server(httpServer, {
    ...SOCKET_SERVER_OPTIONS,
    // CORS does not cover WebSockets: without this check any page a person visits could talk to this server from their browser.
    allowRequest: (req, callback) => {
      const refusal = hosts.refusal(req.headers.host) ?? (originAllowed(req, security.corsOrigins) ? undefined : 'origin not allowed');
      callback(refusal ?? null, refusal === undefined);
    },
    cors: corsOrigin ? { origin: corsOrigin } : undefined,
  });
  cluster?.attach(io);
  const sockets = attachSocketTransport(io, service, logger, {
    limits,
    socketsPerUser: security.socketsPerUser,
    clustered: cluster !== undefined,
    replyDeadlineMs: responder?.replyDeadlineMs ?? ACK_TIMEOUT_MS,
    addressOf: (req) => clientAddress(req, trust),
  });

  return {
    httpServer,
    io,
    service,
    listen: (port, host) =>
      new Promise((resolve, reject) => {
        httpServer.once('error', reject);
        httpServer.listen(port, host, () => {
          httpServer.off('error', reject);
          const { address, port: actual } = httpServer.address() as AddressInfo;
          hosts.listeningOn(address);
          const hostname = address.includes(':') ? `[${address}]` : address;
          resolve(`http://${hostname}:${actual}`);
        });
      }),
    close: async () => {
      // Stop taking connections and messages, answer every message already taken, then close the sockets
      // (io.close() closes the HTTP server too) and wait for the store's writes.
      httpServer.close();
      platform.close();
      await service.stop();
      await new Promise((resolve) => setImmediate(resolve)); // let the last acks be written before the sockets go
      await new Promise<void>((resolve) => {
        io.close(() => resolve());
        httpServer.closeAllConnections();
      });
      await store.close();
      await cluster?.close();
    },
    openSockets: sockets.openSockets,
  };
}
