// Start-up, step one: everything that takes I/O (the store, the cluster's Redis, the stored menu and templates),
// opened once from the options, before any HTTP or Socket.IO wiring (app.ts) sees it.
import type { Environment } from '../bot/engine.ts';
import { buildKnowledge } from '../bot/knowledge.ts';
import type { Content } from '../content/load-content.ts';
import { ChatService, type Responder } from '../core/chat-service.ts';
import type { Ids } from '../core/ids.ts';
import { RateLimits } from '../core/rate-limits.ts';
import type { Logger } from '../logger.ts';
import { Platform, type PlatformOptions } from '../platform/platform.ts';
import { Followers } from '../platform/users.ts';
import { QrCodes } from '../platform/qr-codes.ts';
import type { ChatStore } from '../store/chat-store.ts';
import type { WechatOptions } from '../transport/wechat.ts';
import { joinCluster, type Cluster } from './cluster.ts';
import { UNLIMITED, type SecurityOptions } from './security.ts';
import { DEFAULT_PAGES_HOST } from '../pages/page-hosts.ts';
import type { PaySettings } from '../pay/pay-settings.ts';
import { WechatPay } from '../pay/wechat-pay.ts';

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
  /** Whether redisUrl names nodes of a Redis Cluster (REDIS_CLUSTER=1). */
  redisCluster?: boolean;
  /** Where message ids come from; this process's generator by default. */
  ids?: Ids;
  /** PAGES_HOST: the parent domain under which the in-app browser's pages are served (pages.localhost). */
  pagesHost?: string;
  /** WeChat Pay APIv3 under /v3/ (the merchant's settings); off without them. */
  pay?: PaySettings;
};

/** What the app is wired from: opened, loaded and restored, ready for HTTP and Socket.IO. */
export type Components = {
  store: ChatStore;
  logger: Logger;
  clientDir?: string;
  wechat: WechatOptions;
  responder?: Responder;
  security: SecurityOptions;
  now?: () => number;
  cluster?: Cluster;
  limits: RateLimits;
  service: ChatService;
  platform: Platform;
  /** The target's settings, for the in-app browser (its origin is always served). */
  target?: PlatformOptions['target'];
  pagesHost: string;
  /** WeChat Pay, when its settings were given. */
  pay?: WechatPay;
  /** Stops taking work and finishes the turns already taken (before the sockets close). */
  stop: () => Promise<void>;
  /** Closes what was opened, in reverse order. */
  close: () => Promise<void>;
};

/** Opens the store, joins the cluster, builds the service, stores the templates and restores the menu; on a failure, closes what it opened. */
export async function openComponents({ store, content, logger, clientDir, environment, wechat = {}, responder, security = UNLIMITED, platform: platformOptions = {}, redisUrl, redisCluster = false, ids, pagesHost = DEFAULT_PAGES_HOST, pay: paySettings }: AppOptions): Promise<Components> {
  const opened: Array<() => Promise<void>> = [];
  const close = async () => {
    for (const closeOne of opened.splice(0).reverse()) await closeOne();
  };
  try {
    await store.open(content.seedRules);
    opened.push(() => store.close());
    const cluster = redisUrl ? await joinCluster({ url: redisUrl, cluster: redisCluster }, (message, err) => logger.warn({ err }, message)) : undefined;
    if (cluster) opened.push(() => cluster.close());
    const knowledge = buildKnowledge({ account: content.account, article: content.article, rules: store.rules() });
    const limits = new RateLimits(security.rateLimits, cluster?.budgets);
    // Users who reach a server under test are known to its API by OpenID from their first message on.
    const followers = new Followers(store);
    const qrCodes = new QrCodes(store, platformOptions.now ?? Date.now);
    const service = new ChatService({ store, knowledge, environment, responder, followers: responder && followers, scans: qrCodes, limits, ids });
    const platform = new Platform({ store, service, followers, qrCodes, logger, ids }, platformOptions);
    await platform.open();
    opened.push(() => platform.finishMass());
    const pay = paySettings && (await WechatPay.open({ store, service, followers, logger, now: platformOptions.now, appId: platformOptions.appId }, paySettings));
    store.onRulesChanged((rules) => service.useRules(rules));
    if (pay) opened.push(() => pay.stop());
    const stop = async () => {
      // Mass messages already accepted are delivered before the service stops taking deliveries.
      await platform.finishMass();
      platform.close();
      await pay?.stop();
      await service.stop();
    };
    return { store, logger, clientDir, wechat, responder, security, now: platformOptions.now, cluster, limits, service, platform, target: platformOptions.target, pagesHost, pay, stop, close };
  } catch (err) {
    await close();
    throw err;
  }
}
