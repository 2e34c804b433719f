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
  /** When set, the chat window plays WeChat in front of this official-account server instead of the local bot. */
  target?: TargetOptions;
  /** Rate and size limits, CORS, the admin token, proxies. */
  security: SecurityOptions;
};

/** The limits `npm start` applies unless told otherwise: room for people and test scripts, not for floods. */
export const DEFAULT_LIMITS = { user: '30/10s', address: '600/10s', socketsPerUser: 10 } as const;

const positiveInt = (env: NodeJS.ProcessEnv, name: string): number | undefined => {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name} must be a whole number, not "${raw}"`);
  return value;
};

/** TRUST_PROXY as Express takes it: true, a number of hops, or addresses and subnets ("loopback, 10.0.0.0/8"). */
function trustProxy(raw: string | undefined): SecurityOptions['trustProxy'] {
  if (raw === undefined || raw === '' || raw === 'false') return undefined;
  if (raw === 'true') return true;
  return /^\d+$/.test(raw) ? Number(raw) : raw;
}

function readSecurity(env: NodeJS.ProcessEnv): SecurityOptions {
  const socketsPerUser = positiveInt(env, 'MAX_SOCKETS_PER_USER') ?? DEFAULT_LIMITS.socketsPerUser;
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

/** Reads the configuration from the environment and `--target URL --token TOKEN`; throws naming what makes no sense. */
export function readConfig(env: NodeJS.ProcessEnv = process.env, argv: string[] = []): Config {
  const { values: args } = parseArgs({ args: argv, options: { target: { type: 'string' }, token: { type: 'string' } } });
  const targetUrl = args.target ?? env.TARGET_URL;
  const targetToken = args.token ?? env.TARGET_TOKEN;
  if (targetUrl && !/^https?:\/\//.test(targetUrl)) throw new Error(`--target / TARGET_URL must be an http(s) URL, not "${targetUrl}"`);
  if (targetUrl && !targetToken) throw new Error('--target needs --token (or TARGET_TOKEN): the token configured for that server');
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
    publicUrl: env.PUBLIC_URL || undefined,
    target: targetUrl
      ? {
          url: targetUrl,
          token: targetToken!,
          accountId: env.TARGET_ACCOUNT || undefined,
          timeoutMs: positiveInt(env, 'TARGET_TIMEOUT_MS'),
          retries: positiveInt(env, 'TARGET_RETRIES'),
        }
      : undefined,
    security: readSecurity(env),
  };
}

/** Where `npm run build` puts the chat window. */
export const clientDir = path.join(projectRoot, 'client', 'dist');
