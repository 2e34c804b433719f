// Configuration from the environment, with defaults that make `npm start` work from a fresh clone.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { parseRate } from './rate-limits.ts';
import type { SecurityOptions } from './security.ts';
import type { TargetOptions } from './wechat/remote-bot.ts';

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
  /** The platform API under /cgi-bin/ that the server under test calls: its credentials and templates. */
  platform: PlatformSettings;
  /** Rate and size limits, CORS, the admin token, proxies. */
  security: SecurityOptions;
};

/** The limits `npm start` applies unless told otherwise: room for people and test scripts, not for floods. */
export const DEFAULT_LIMITS = { user: '30/10s', address: '600/10s', socketsPerUser: 10 } as const;

const wholeNumber = (env: NodeJS.ProcessEnv, name: string, min = 0): number | undefined => {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) throw new Error(`${name} must be a whole number of at least ${min}, not "${raw}"`);
  return value;
};

/** An EncodingAESKey: 43 characters of base64, which decode to the 32-byte AES key. */
function aesKey(raw: string | undefined, name: string): string | undefined {
  if (!raw) return undefined;
  if (!/^[A-Za-z0-9+/]{43}$/.test(raw)) throw new Error(`${name} must be the 43-character EncodingAESKey (letters, digits, + and /), not "${raw}"`);
  return raw;
}

/** TRUST_PROXY as Express takes it: true, a number of hops, or addresses and subnets ("loopback, 10.0.0.0/8"). */
function trustProxy(raw: string | undefined): SecurityOptions['trustProxy'] {
  if (raw === undefined || raw === '' || raw === 'false') return undefined;
  if (raw === 'true') return true;
  return /^\d+$/.test(raw) ? Number(raw) : raw;
}

function readSecurity(env: NodeJS.ProcessEnv): SecurityOptions {
  const socketsPerUser = wholeNumber(env, 'MAX_SOCKETS_PER_USER') ?? DEFAULT_LIMITS.socketsPerUser;
  if (socketsPerUser < 1) throw new Error('MAX_SOCKETS_PER_USER must be at least 1');
  return {
    rateLimits: {
      perUser: parseRate(env.RATE_LIMIT_USER || DEFAULT_LIMITS.user, 'RATE_LIMIT_USER'),
      perAddress: parseRate(env.RATE_LIMIT_ADDRESS || DEFAULT_LIMITS.address, 'RATE_LIMIT_ADDRESS'),
    },
    socketsPerUser,
    corsOrigins: (env.CORS_ORIGINS ?? '')
      .split(',')
      .map((origin) => origin.trim())
      .filter(Boolean)
      .map((origin) => {
        if (origin !== '*' && !(URL.canParse(origin) && new URL(origin).origin === origin)) {
          throw new Error(`CORS_ORIGINS takes origins such as https://app.example.com (scheme, host, port; no path) or *, not "${origin}"`);
        }
        return origin;
      }),
    adminToken: env.ADMIN_TOKEN || undefined,
    trustProxy: trustProxy(env.TRUST_PROXY),
  };
}

/** The command-line options `npm start --` takes; each has an environment variable too. */
export const START_OPTIONS = {
  target: { type: 'string' },
  token: { type: 'string' },
  appid: { type: 'string' },
  secret: { type: 'string' },
  'aes-key': { type: 'string' },
} as const;

/** Reads the configuration from the environment and the command line (START_OPTIONS); throws naming what makes no sense. */
export function readConfig(env: NodeJS.ProcessEnv = process.env, argv: string[] = []): Config {
  const { values: args } = parseArgs({ args: argv, options: START_OPTIONS });
  const targetUrl = args.target ?? env.TARGET_URL;
  const targetToken = args.token ?? env.TARGET_TOKEN;
  const targetAesKey = aesKey(args['aes-key'] ?? env.TARGET_AES_KEY, '--aes-key / TARGET_AES_KEY');
  const appId = args.appid ?? (env.TARGET_APPID || undefined);
  if (targetAesKey && !targetUrl) throw new Error('--aes-key is the EncodingAESKey of the server under test: it needs --target');
  if (targetAesKey && !appId) throw new Error('--aes-key needs --appid (or TARGET_APPID): safe mode puts the appid in every encrypted message');
  const secret = args.secret ?? (env.TARGET_SECRET || undefined);
  if (secret && !appId) throw new Error('--secret needs --appid (or TARGET_APPID): the server under test asks for tokens with both');
  if (targetUrl && !/^https?:\/\//.test(targetUrl)) throw new Error(`--target / TARGET_URL must be an http(s) URL, not "${targetUrl}"`);
  if (targetUrl && !targetToken) throw new Error('--target needs --token (or TARGET_TOKEN): the token configured for that server');
  if (env.WECHAT_AES_KEY && !env.WECHAT_APPID) throw new Error('WECHAT_AES_KEY needs WECHAT_APPID: safe mode checks the appid at the end of every encrypted message');
  const port = Number(env.PORT ?? 3000);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`PORT must be a port number from 0 to 65535, not "${env.PORT}"`);
  }
  const file = (name: string, fallback: string) => path.resolve(env[name] || fallback);
  return {
    port,
    host: env.HOST || '127.0.0.1',
    dbFile: file('DB_FILE', path.join(dataDir, 'db.json')),
    contentFile: file('CONTENT_FILE', path.join(dataDir, 'article.md')),
    accountFile: file('ACCOUNT_FILE', path.join(dataDir, 'account.json')),
    rulesFile: file('RULES_FILE', path.join(dataDir, 'rules.json')),
    logLevel: env.LOG_LEVEL || 'info',
    wechatToken: env.WECHAT_TOKEN || undefined,
    wechatAesKey: aesKey(env.WECHAT_AES_KEY, 'WECHAT_AES_KEY'),
    wechatAppId: env.WECHAT_APPID || undefined,
    publicUrl: env.PUBLIC_URL || undefined,
    target: targetUrl
      ? {
          url: targetUrl,
          token: targetToken!,
          accountId: env.TARGET_ACCOUNT || undefined,
          timeoutMs: wholeNumber(env, 'TARGET_TIMEOUT_MS', 1),
          retries: wholeNumber(env, 'TARGET_RETRIES'),
          appId,
          aesKey: targetAesKey,
        }
      : undefined,
    platform: {
      appId,
      secret,
      templatesFile: env.TEMPLATES_FILE ? path.resolve(env.TEMPLATES_FILE) : undefined,
    },
    security: readSecurity(env),
  };
}

/** Where `npm run build` puts the chat window. */
export const clientDir = path.join(projectRoot, 'client', 'dist');
