// Wires the opened components (components.ts) to HTTP and Socket.IO; start.ts runs both steps and listens.
import { createServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import cors from 'cors';
import express from 'express';
import helmet from 'helmet';
import { Server } from 'socket.io';
import type { ChatService } from '../core/chat-service.ts';
import { ACK_TIMEOUT_MS, MAX_BODY_BYTES } from '../limits.ts';
import { allowedOrigins, clientAddress, crossSiteRefusal, originAllowed, refuseCrossSiteWrites, requireAdmin, requireJson, requireKnownHost, type TrustProxy } from './security.ts';
import { AllowedHosts } from './hosts.ts';
import type { Components } from './components.ts';
import type { Platform } from '../platform/platform.ts';
import { attachSocketTransport, type ChatServer } from '../transport/socket.ts';
import { addressLimit } from '../transport/http-limits.ts';
import { requestLogging } from '../transport/http-logging.ts';
import { chatRoutes } from '../transport/http-chat.ts';
import { articleRoutes } from '../transport/http-article.ts';
import { ruleRoutes } from '../transport/http-rules.ts';
import { mediaRoutes } from '../transport/http-media.ts';
import { userMediaRoutes } from '../transport/http-user-media.ts';
import { errorHandler, notFound } from '../transport/http-errors.ts';
import { wechatEndpoint } from '../transport/wechat.ts';
import { platformRoutes } from '../transport/http-platform.ts';
import { pagesRoutes } from '../transport/http-pages.ts';
import { PageProxy } from '../pages/page-proxy.ts';
import { PageOrigins } from '../pages/page-origins.ts';
import { checkPageJsConfig } from '../pages/page-js-config.ts';
import { readFile } from 'node:fs/promises';
import { snsRoutes } from '../transport/http-sns.ts';
import { authorizeRoutes } from '../transport/http-authorize.ts';
import { pageAuthorizeRoutes } from '../transport/http-page-authorize.ts';
import { profileRoutes } from '../transport/http-profiles.ts';
import { payRoutes } from '../transport/http-pay.ts';
import { payApiRoutes, payStatusRoute } from '../transport/http-pay-api.ts';
import { qrCodeRoutes, showQrCode } from '../transport/http-qrcodes.ts';
import { locationRoutes } from '../transport/http-locations.ts';
import { followerRoutes } from '../transport/http-followers.ts';
import { massNewsRoutes } from '../transport/http-mass-news.ts';
import { chatParser } from '../transport/socket-parser.ts';

export type App = {
  httpServer: HttpServer;
  io: ChatServer;
  service: ChatService;
  /** The platform's half: what the in-app browser's bridge calls (wx.config's check), and tests. */
  platform: Platform;
  /** Listens and resolves with the base URL, e.g. http://127.0.0.1:54321. */
  listen: (port: number, host?: string) => Promise<string>;
  /** Stops accepting, closes sockets, finishes pending writes. */
  close: () => Promise<void>;
  /** Sockets open now, for leak checks. */
  openSockets: () => number;
};

/** Socket.IO server options; the benchmark's echo server uses the very same. */
export const SOCKET_SERVER_OPTIONS = { maxHttpBufferSize: MAX_BODY_BYTES, perMessageDeflate: false } as const;

/** Start-up, step two: wires opened components to HTTP and Socket.IO, without I/O; the order of the middleware matters. */
export function createApp(components: Components): App {
  const { store, logger, clientDir, wechat, responder, security, cluster, limits, service, platform } = components;
  const corsOrigin = allowedOrigins(security.corsOrigins);
  const hosts = new AllowedHosts(security.allowedHosts ?? []);
  // The in-app browser's pages: served on hosts of their own under PAGES_HOST, apart from everything else here.
  const pageOrigins = new PageOrigins(store.records('page-origins'), components.target ? [new URL(components.target.url).origin] : [], components.now);
  const pageProxy = new PageProxy({
    domain: components.pagesHost,
    origins: pageOrigins,
    simulatorOrigin: (port) => components.wechat.publicUrl?.replace(/\/+$/, '') ?? `http://localhost:${port}`,
    bridgeScript: async () => (clientDir ? readFile(path.join(clientDir, 'bridge.js')).catch(() => undefined) : undefined),
    logger,
  });

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
          // The in-app browser: pages on their own hosts under PAGES_HOST, and WeChat's pages here (authorize).
          'frame-src': ["'self'", `http://*.${components.pagesHost}:*`],
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
  app.get('/cgi-bin/showqrcode', showQrCode(platform.qrCodes, (host) => hosts.refusal(host)));
  app.use('/cgi-bin', platformRoutes({ platform, service, limits, logger, refusal: platformRefusal }));
  app.use('/sns', snsRoutes({ platform, service, limits, logger, refusal: platformRefusal }));
  // WeChat Pay signs and checks every request itself, so it needs no protection from pages of other sites.
  if (components.pay) app.use('/v3', payRoutes({ pay: components.pay, service, logger, refusal: (req) => hosts.refusal(req.headers.host) }));
  app.use(requireKnownHost(hosts));
  app.use(refuseCrossSiteWrites(security.corsOrigins));
  // Before the address limit: it charges only the requests the platform did not sign.
  app.use(wechatEndpoint(service, wechat, logger, limits));
  app.use(addressLimit(limits));
  app.use(['/api/messages', '/api/rules', '/api/pages', '/api/jsapi', '/api/pay'], requireJson);
  app.use(express.json({ limit: MAX_BODY_BYTES }));
  app.get('/healthz', async (_req, res) => {
    const problem = await store.unavailable();
    if (problem) res.status(503).json({ status: 'unavailable', reason: problem });
    else res.json({ status: 'ok' });
  });
  app.use(chatRoutes(service));
  app.use(articleRoutes(service));
  app.use(ruleRoutes(service, requireAdmin(security.adminToken)));
  app.use(mediaRoutes(store));
  app.use(pagesRoutes({ service, origins: pageOrigins, domain: components.pagesHost, checkJsConfig: checkPageJsConfig(platform) }));
  app.use(pageAuthorizeRoutes({ platform, service, origins: pageOrigins, domain: components.pagesHost, logger }));
  app.use(userMediaRoutes(store, components.now));
  app.use(authorizeRoutes(platform, service, logger));
  app.use(profileRoutes(platform.profiles));
  app.use(payStatusRoute(components.pay));
  if (components.pay) app.use(payApiRoutes(components.pay));
  app.use(qrCodeRoutes(platform.qrCodes));
  app.use(locationRoutes(platform.locations));
  app.use(followerRoutes(platform));
  app.use(massNewsRoutes(platform.news));
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
    parser: chatParser,
    // CORS does not cover WebSockets: without this check any page a person visits could talk to this server from their browser.
    allowRequest: (req, callback) => {
      const refusal = (pageProxy.claims(req) ? 'pages hosts do not reach the chat' : undefined) ?? hosts.refusal(req.headers.host) ?? (originAllowed(req, security.corsOrigins) ? undefined : 'origin not allowed');
      callback(refusal ?? null, refusal === undefined);
    },
    cors: corsOrigin ? { origin: corsOrigin } : undefined,
  });
  // A pages host's request goes to the page proxy before anything else, Socket.IO included (it put itself first,
  // and /socket.io/ on a pages host is the page's own), so a page never reaches the simulator as the chat window does.
  const [socketIoFirst] = httpServer.listeners('request') as Array<(req: IncomingMessage, res: ServerResponse) => void>;
  httpServer.removeAllListeners('request');
  httpServer.on('request', (req, res) => (pageProxy.claims(req) ? pageProxy.handle(req, res) : socketIoFirst!(req, res)));
  cluster?.attach(io);
  const sockets = attachSocketTransport(io, service, logger, {
    limits,
    socketsPerUser: security.socketsPerUser,
    clustered: cluster !== undefined,
    replyDeadlineMs: responder?.replyDeadlineMs ?? ACK_TIMEOUT_MS,
    addressOf: (req) => clientAddress(req, trust),
    entered: (userId) => platform.locations.entered(userId),
  });

  return {
    httpServer,
    io,
    service,
    platform,
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
      await components.stop();
      await sockets.acknowledged();
      await new Promise<void>((resolve) => {
        io.close(() => resolve());
        httpServer.closeAllConnections();
      });
      await components.close();
    },
    openSockets: sockets.openSockets,
  };
}
