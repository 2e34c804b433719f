// Configuration from the environment and the command line, read by one zod schema, with defaults that make
// `npm start` work from a fresh clone. The limits that are not settings are in limits.ts.
import { createPublicKey } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { DEFAULT_MEDIA_QUOTA_BYTES } from './media.ts';
import { parseRate } from './core/rate-limits.ts';
import type { SecurityOptions } from './app/security.ts';
import { START_OPTIONS } from './start-options.ts';
import { DEFAULT_PAGES_HOST } from './pages/page-hosts.ts';
import type { TargetAccountSettings } from './content/account.ts';
import type { TargetOptions } from './wechat/remote-bot.ts';
import { parseWebDomain, type WebDomain } from './platform/web-domains.ts';
import type { PaySettings } from './pay/pay-settings.ts';

/** The folder with package.json above this file: the same whether it runs from server/ or the built server/dist/. */
function findProjectRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) return path.resolve(from, '..');
  }
}

const projectRoot = findProjectRoot(path.dirname(fileURLToPath(import.meta.url)));
const dataDir = path.join(projectRoot, 'data');

export type PlatformSettings = {
  /** The account's appid (--appid, TARGET_APPID). */
  appId?: string;
  /** The account's AppSecret (--secret, TARGET_SECRET); without it every API call says what to configure. */
  secret?: string;
  /** The account's template messages (TEMPLATES_FILE); any template id is accepted when there is no such file. */
  templatesFile?: string;
  /** The web authorization domain (OAUTH_DOMAINS) and JS interface domains (JS_DOMAINS); the target's host and port when unset. */
  oauthDomains?: WebDomain[];
  /** The account's *report location* setting (REPORT_LOCATION=true): entering the chat pushes LOCATION. */
  reportLocation?: boolean;
  jsDomains?: WebDomain[];
};

export type Config = {
  port: number;
  host: string;
  dbFile: string;
  contentFile: string;
  accountFile: string;
  rulesFile: string;
  logLevel: string;
  /** The token the platform signs /wechat requests with; /wechat is off without it. */
  wechatToken?: string;
  /** This server's address as the outside world sees it, for absolute links in WeChat replies. */
  publicUrl?: string;
  /** The 43-character EncodingAESKey and the appid for /wechat's safe mode (WECHAT_AES_KEY, WECHAT_APPID). */
  wechatAesKey?: string;
  wechatAppId?: string;
  /** When set, the chat window plays WeChat in front of this official-account server instead of the local bot. */
  target?: TargetOptions;
  /** The account the window shows in front of a target (only with one). */
  targetAccount?: TargetAccountSettings;
  /** The platform API under /cgi-bin/ that the server under test calls: its credentials and templates. */
  platform: PlatformSettings;
  /** Rate and size limits, CORS, the admin token, proxies. */
  security: SecurityOptions;
  /** REDIS_URL (redis:// or rediss://): where many processes keep their shared state; with REDIS_CLUSTER, nodes of a Redis Cluster, comma-separated. */
  redisUrl?: string;
  /** REDIS_CLUSTER=1: REDIS_URL names nodes of a Redis Cluster. */
  redisCluster: boolean;
  /** MEDIA_QUOTA_MB: the bytes of live media (uploads of the last 3 days) the store keeps at most. */
  mediaQuotaBytes: number;
  /** PAGES_HOST: the parent domain of the in-app browser's page hosts (pages.localhost). */
  pagesHost: string;
  /** WeChat Pay APIv3 under /v3/ (--mchid, --mch-serial, --mch-public-key, --apiv3-key); off without them. */
  pay?: PaySettings;
};

/** The limits `npm start` applies unless told otherwise: room for people and test scripts, not for floods. */
export const DEFAULT_LIMITS = { user: '30/10s', address: '600/10s', socketsPerUser: 10 } as const;

/** The command-line options `npm start --` takes; each stands in for an environment variable (see readConfig). */
export { START_OPTIONS };

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

// Every setting is text; unset and empty both mean "not given".
const text = z.string().optional().transform((raw) => raw || undefined);

/**
 * A setting `parse` reads from its text, or undefined when the text makes no sense; the error names the
 * setting, says what it takes and quotes what it got.
 */
function setting<T>(name: string, takes: string, parse: (raw: string) => T | undefined) {
  return text.transform((raw, ctx): T | undefined => {
    if (raw === undefined) return undefined;
    const value = parse(raw);
    if (value === undefined) ctx.addIssue({ code: 'custom', message: `${name} must be ${takes}, not "${raw}"` });
    return value;
  });
}

const wholeNumber = (name: string, min: number) =>
  setting(name, `a whole number of at least ${min}`, (raw) => (/^\d+$/.test(raw) && Number(raw) >= min ? Number(raw) : undefined));

/** A name the chat window shows (the account's, the merchant's): 1 to 64 characters once trimmed. */
const shownName = (name: string) => setting(name, 'a name of 1 to 64 characters', (raw) => (raw.trim() && raw.trim().length <= 64 ? raw.trim() : undefined));

/** An EncodingAESKey: 43 characters of base64, which decode to the 32-byte AES key. */
const aesKey = (name: string) =>
  setting(name, 'the 43-character EncodingAESKey (letters, digits, + and /)', (raw) => (/^[A-Za-z0-9+/]{43}$/.test(raw) ? raw : undefined));

/** A rate such as 30/10s, or "off" (no limit); parseRate's error says what it takes. */
const rate = (name: string, fallback: string) =>
  text.transform((raw, ctx) => {
    try {
      return parseRate(raw ?? fallback, name);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message });
      return undefined;
    }
  });

const corsOrigins = text.transform((raw, ctx) =>
  (raw ?? '')
    .split(',')
    .map((origin) => origin.trim())
    .filter(Boolean)
    .filter((origin) => {
      const valid = origin === '*' || (URL.canParse(origin) && new URL(origin).origin === origin);
      if (!valid) ctx.addIssue({ code: 'custom', message: `CORS_ORIGINS takes origins such as https://app.example.com (scheme, host, port; no path) or *, not "${origin}"` });
      return valid;
    }),
);

/** ALLOWED_HOSTS: host names such as app.example (".app.example" takes its subdomains too), or *. */
const allowedHosts = text.transform((raw, ctx) =>
  (raw ?? '')
    .split(',')
    .map((host) => host.trim().toLowerCase())
    .filter(Boolean)
    .filter((host) => {
      const valid = host === '*' || /^\.?[a-z0-9-]+(\.[a-z0-9-]+)*$|^\[[0-9a-f:.]+\]$/.test(host);
      if (!valid) ctx.addIssue({ code: 'custom', message: `--allowed-hosts / ALLOWED_HOSTS takes host names such as app.example or .app.example (no scheme, port or path) or *, not "${host}"` });
      return valid;
    }),
);

/** OAUTH_DOMAINS, JS_DOMAINS: host[:port] entries (subdomains included); undefined when unset, for the default. */
const webDomains = (name: string) =>
  text.transform((raw, ctx) => {
    if (raw === undefined) return undefined;
    const entries = raw.split(',').map((entry) => entry.trim()).filter(Boolean);
    return entries.flatMap((entry) => {
      const domain = parseWebDomain(entry);
      if (!domain) ctx.addIssue({ code: 'custom', message: `${name} takes host names with an optional port, such as localhost:8080 or app.example (no scheme or path), not "${entry}"` });
      return domain ? [domain] : [];
    });
  });

/** The host of PUBLIC_URL, which this server answers to as well. */
const hostOf = (url: string | undefined) => (url && URL.canParse(url) ? [new URL(url).hostname] : []);

/** TRUST_PROXY as Express takes it: true, a number of hops, or addresses and subnets ("loopback, 10.0.0.0/8"). */
const trustProxy = text.transform((raw): SecurityOptions['trustProxy'] => {
  if (raw === undefined || raw === 'false') return undefined;
  if (raw === 'true') return true;
  return /^\d+$/.test(raw) ? Number(raw) : raw;
});

/** PAY_MCH_PUBLIC_KEY: a PEM file with the merchant's API certificate or public key, read at start-up. */
const publicKeyFile = setting('--mch-public-key / PAY_MCH_PUBLIC_KEY', "a readable PEM file with the merchant's API certificate or public key", (raw) => {
  try {
    const pem = readFileSync(path.resolve(raw), 'utf8');
    return createPublicKey(pem).asymmetricKeyType === 'rsa' ? pem : undefined;
  } catch {
    return undefined;
  }
});

const file = (fallback: string) => text.transform((raw) => path.resolve(raw ?? fallback));

/** The whole configuration: environment variables by name (the command-line options already merged in), checked and turned into a Config. */
const configSchema = z
  .object({
    PORT: setting('PORT', 'a port number from 0 to 65535', (raw) => (/^\d+$/.test(raw) && Number(raw) <= 65535 ? Number(raw) : undefined)),
    HOST: text,
    DB_FILE: file(path.join(dataDir, 'db.json')),
    CONTENT_FILE: file(path.join(dataDir, 'article.md')),
    ACCOUNT_FILE: file(path.join(dataDir, 'account.json')),
    RULES_FILE: file(path.join(dataDir, 'rules.json')),
    LOG_LEVEL: setting('LOG_LEVEL', `one of ${LOG_LEVELS.join(', ')}`, (raw) => (LOG_LEVELS.includes(raw) ? raw : undefined)),
    WECHAT_TOKEN: text,
    WECHAT_AES_KEY: aesKey('WECHAT_AES_KEY'),
    WECHAT_APPID: text,
    PUBLIC_URL: text,
    REPORT_LOCATION: setting('REPORT_LOCATION', 'true or false', (raw) => (raw === 'true' ? true : raw === 'false' ? false : undefined)),
    TARGET_URL: setting('--target / TARGET_URL', 'an http(s) URL', (raw) => (/^https?:\/\//.test(raw) ? raw : undefined)),
    TARGET_TOKEN: text,
    TARGET_ACCOUNT: text,
    TARGET_TIMEOUT_MS: wholeNumber('TARGET_TIMEOUT_MS', 1),
    TARGET_RETRIES: wholeNumber('TARGET_RETRIES', 0),
    TARGET_APPID: text,
    TARGET_SECRET: text,
    TARGET_AES_KEY: aesKey('--aes-key / TARGET_AES_KEY'),
    TARGET_NAME: shownName('--name / TARGET_NAME'),
    TARGET_AVATAR: setting('--avatar / TARGET_AVATAR', 'an http(s) URL', (raw) => (/^https?:\/\/./.test(raw) && URL.canParse(raw) ? raw : undefined)),
    TARGET_ACCOUNT_FILE: text.transform((raw) => raw && path.resolve(raw)),
    TEMPLATES_FILE: text.transform((raw) => raw && path.resolve(raw)),
    OAUTH_DOMAINS: webDomains('--oauth-domains / OAUTH_DOMAINS'),
    JS_DOMAINS: webDomains('--js-domains / JS_DOMAINS'),
    REDIS_URL: setting('REDIS_URL', 'a redis:// or rediss:// URL (with REDIS_CLUSTER, one or more, comma-separated)', (raw) =>
      raw.split(',').every((one) => /^rediss?:\/\/./.test(one.trim()) && URL.canParse(one.trim())) ? raw : undefined,
    ),
    REDIS_CLUSTER: setting('REDIS_CLUSTER', '1 or 0', (raw) => (raw === '1' ? true : raw === '0' ? false : undefined)),
    RATE_LIMIT_USER: rate('RATE_LIMIT_USER', DEFAULT_LIMITS.user),
    RATE_LIMIT_ADDRESS: rate('RATE_LIMIT_ADDRESS', DEFAULT_LIMITS.address),
    MAX_SOCKETS_PER_USER: wholeNumber('MAX_SOCKETS_PER_USER', 1),
    CORS_ORIGINS: corsOrigins,
    ALLOWED_HOSTS: allowedHosts,
    ADMIN_TOKEN: text,
    TRUST_PROXY: trustProxy,
    MEDIA_QUOTA_MB: wholeNumber('MEDIA_QUOTA_MB', 1),
    PAY_MCHID: setting('--mchid / PAY_MCHID', 'a merchant id of 1 to 32 digits', (raw) => (/^\d{1,32}$/.test(raw) ? raw : undefined)),
    PAY_MCH_SERIAL: setting('--mch-serial / PAY_MCH_SERIAL', "the merchant API certificate's serial number (8 to 40 hex digits)", (raw) => (/^[0-9A-Fa-f]{8,40}$/.test(raw) ? raw.toUpperCase() : undefined)),
    PAY_MCH_PUBLIC_KEY: publicKeyFile,
    PAY_APIV3_KEY: setting('--apiv3-key / PAY_APIV3_KEY', 'the 32-character APIv3 key', (raw) => (/^[\x21-\x7e]{32}$/.test(raw) ? raw : undefined)),
    PAY_NOTIFY_SPEEDUP: wholeNumber('PAY_NOTIFY_SPEEDUP', 1),
    PAY_SIGN_WITH: setting('PAY_SIGN_WITH', 'public-key or certificate', (raw) => (raw === 'public-key' || raw === 'certificate' ? raw : undefined)),
    PAY_MERCHANT_NAME: shownName('PAY_MERCHANT_NAME'),
    PAGES_HOST: setting('PAGES_HOST', 'a domain name such as pages.localhost (no scheme, port or path)', (raw) => (/^[a-z0-9-]+(\.[a-z0-9-]+)+$/i.test(raw) ? raw.toLowerCase() : undefined)),
  })
  .superRefine((env, ctx) => {
    const problem = (message: string) => ctx.addIssue({ code: 'custom', message });
    if (env.TARGET_AES_KEY && !env.TARGET_URL) problem('--aes-key is the EncodingAESKey of the server under test: it needs --target');
    if (env.TARGET_AES_KEY && !env.TARGET_APPID) problem('--aes-key needs --appid (or TARGET_APPID): safe mode puts the appid in every encrypted message');
    if (env.TARGET_URL && !env.TARGET_TOKEN) problem('--target needs --token (or TARGET_TOKEN): the token configured for that server');
    for (const [given, name] of [[env.TARGET_NAME, '--name'], [env.TARGET_AVATAR, '--avatar'], [env.TARGET_ACCOUNT_FILE, 'TARGET_ACCOUNT_FILE']] as const) {
      if (given && !env.TARGET_URL) problem(`${name} describes the account of the server under test: it needs --target`);
    }
    if (env.TARGET_SECRET && !env.TARGET_APPID) problem('--secret needs --appid (or TARGET_APPID): the server under test asks for tokens with both');
    const pay = [env.PAY_MCHID, env.PAY_MCH_SERIAL, env.PAY_MCH_PUBLIC_KEY, env.PAY_APIV3_KEY];
    if (env.PAY_MERCHANT_NAME && !env.PAY_MCHID) problem('PAY_MERCHANT_NAME names the WeChat Pay merchant: it needs --mchid, --mch-serial, --mch-public-key and --apiv3-key');
    if (pay.some(Boolean) && !pay.every(Boolean)) problem('WeChat Pay needs all four of --mchid, --mch-serial, --mch-public-key and --apiv3-key (or PAY_MCHID, PAY_MCH_SERIAL, PAY_MCH_PUBLIC_KEY, PAY_APIV3_KEY)');
    if (env.REDIS_CLUSTER && !env.REDIS_URL) problem('REDIS_CLUSTER=1 needs REDIS_URL: one or more nodes of the cluster');
    if (!env.REDIS_CLUSTER && env.REDIS_URL?.includes(',')) problem('REDIS_URL names one Redis; several nodes, comma-separated, are for a Redis Cluster (REDIS_CLUSTER=1)');
    if (env.WECHAT_AES_KEY && !env.WECHAT_APPID) problem('WECHAT_AES_KEY needs WECHAT_APPID: safe mode checks the appid at the end of every encrypted message');
  })
  .transform(
    (env): Config => ({
      port: env.PORT ?? 3000,
      host: env.HOST ?? '127.0.0.1',
      dbFile: env.DB_FILE,
      contentFile: env.CONTENT_FILE,
      accountFile: env.ACCOUNT_FILE,
      rulesFile: env.RULES_FILE,
      logLevel: env.LOG_LEVEL ?? 'info',
      wechatToken: env.WECHAT_TOKEN,
      wechatAesKey: env.WECHAT_AES_KEY,
      wechatAppId: env.WECHAT_APPID,
      publicUrl: env.PUBLIC_URL,
      target: env.TARGET_URL
        ? {
            url: env.TARGET_URL,
            token: env.TARGET_TOKEN!,
            accountId: env.TARGET_ACCOUNT,
            timeoutMs: env.TARGET_TIMEOUT_MS,
            retries: env.TARGET_RETRIES,
            appId: env.TARGET_APPID,
            aesKey: env.TARGET_AES_KEY,
          }
        : undefined,
      targetAccount: env.TARGET_URL ? { name: env.TARGET_NAME, avatarUrl: env.TARGET_AVATAR, accountFile: env.TARGET_ACCOUNT_FILE } : undefined,
      platform: { appId: env.TARGET_APPID, secret: env.TARGET_SECRET, templatesFile: env.TEMPLATES_FILE, oauthDomains: env.OAUTH_DOMAINS, jsDomains: env.JS_DOMAINS, ...(env.REPORT_LOCATION === undefined ? {} : { reportLocation: env.REPORT_LOCATION }) },
      redisUrl: env.REDIS_URL,
      pagesHost: env.PAGES_HOST ?? DEFAULT_PAGES_HOST,
      pay: env.PAY_MCHID
        ? { mchId: env.PAY_MCHID, mchSerial: env.PAY_MCH_SERIAL!, mchPublicKeyPem: env.PAY_MCH_PUBLIC_KEY!, apiV3Key: env.PAY_APIV3_KEY!, notifySpeedup: env.PAY_NOTIFY_SPEEDUP ?? 1, signWith: env.PAY_SIGN_WITH ?? 'public-key', ...(env.PAY_MERCHANT_NAME ? { merchantName: env.PAY_MERCHANT_NAME } : {}) }
        : undefined,
      redisCluster: env.REDIS_CLUSTER ?? false,
      mediaQuotaBytes: (env.MEDIA_QUOTA_MB ?? DEFAULT_MEDIA_QUOTA_BYTES / 2 ** 20) * 2 ** 20,
      security: {
        rateLimits: { perUser: env.RATE_LIMIT_USER, perAddress: env.RATE_LIMIT_ADDRESS },
        socketsPerUser: env.MAX_SOCKETS_PER_USER ?? DEFAULT_LIMITS.socketsPerUser,
        corsOrigins: env.CORS_ORIGINS,
        allowedHosts: [...env.ALLOWED_HOSTS, ...hostOf(env.PUBLIC_URL)],
        adminToken: env.ADMIN_TOKEN,
        trustProxy: env.TRUST_PROXY,
      },
    }),
  );

/**
 * Reads the configuration from the environment and the command line (START_OPTIONS, which win over their
 * variables); throws naming every setting that makes no sense, and what it got.
 */
export function readConfig(env: NodeJS.ProcessEnv = process.env, argv: string[] = []): Config {
  const { values: args } = parseArgs({ args: argv, options: START_OPTIONS });
  const result = configSchema.safeParse({
    ...env,
    TARGET_URL: args.target ?? env.TARGET_URL,
    TARGET_TOKEN: args.token ?? env.TARGET_TOKEN,
    TARGET_APPID: args.appid ?? env.TARGET_APPID,
    TARGET_SECRET: args.secret ?? env.TARGET_SECRET,
    TARGET_AES_KEY: args['aes-key'] ?? env.TARGET_AES_KEY,
    ALLOWED_HOSTS: args['allowed-hosts'] ?? env.ALLOWED_HOSTS,
    TARGET_NAME: args.name ?? env.TARGET_NAME,
    TARGET_AVATAR: args.avatar ?? env.TARGET_AVATAR,
    OAUTH_DOMAINS: args['oauth-domains'] ?? env.OAUTH_DOMAINS,
    JS_DOMAINS: args['js-domains'] ?? env.JS_DOMAINS,
    PAY_MCHID: args.mchid ?? env.PAY_MCHID,
    PAY_MCH_SERIAL: args['mch-serial'] ?? env.PAY_MCH_SERIAL,
    PAY_MCH_PUBLIC_KEY: args['mch-public-key'] ?? env.PAY_MCH_PUBLIC_KEY,
    PAY_APIV3_KEY: args['apiv3-key'] ?? env.PAY_APIV3_KEY,
  });
  if (!result.success) throw new Error(result.error.issues.map((issue) => issue.message).join('; '));
  return result.data;
}

/** Where `npm run build` puts the chat window. */
export const clientDir = path.join(projectRoot, 'client', 'dist');
