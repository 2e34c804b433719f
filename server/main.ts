// Entry point of `npm start`: read the configuration, choose the store, start (app/start.ts), stop on a signal.
import { clientDir, readConfig } from './config.ts';
import { startFromConfig } from './app/start.ts';
import { createLogger } from './logger.ts';
import { fileStore } from './store/low-store.ts';
import { RedisStore } from './store/redis-store.ts';
import { describeRedis } from './store/redis/connection.ts';
import { SERVER_USAGE } from './usage.ts';

const isLoopback = (host: string) => host === 'localhost' || host === '::1' || /^127\./.test(host);

async function main(): Promise<void> {
  if (process.argv.includes('--help') || process.argv.includes('-h')) {
    process.stdout.write(SERVER_USAGE);
    return;
  }
  let config;
  let logger;
  let started;
  try {
    config = readConfig(process.env, process.argv.slice(2));
    logger = createLogger(config.logLevel);
    const { redisUrl, redisCluster, mediaQuotaBytes } = config;
    const warn = (message: string, err?: unknown) => logger!.warn({ err }, message);
    // REDIS_URL: every process shares that Redis (or Redis Cluster); otherwise this one process keeps lowdb files.
    const store = redisUrl ? new RedisStore({ url: redisUrl, cluster: redisCluster, warn, mediaQuotaBytes }) : fileStore(config.dbFile, { warn, mediaQuotaBytes });
    started = await startFromConfig(config, { store, logger, clientDir, port: config.port, host: config.host });
  } catch (err) {
    // Content and data problems are the user's to fix: say what and where, plainly, without a stack trace.
    process.stderr.write(`Cannot start: ${(err as Error).message}\n`);
    process.exitCode = 1;
    return;
  }
  const { app, url } = started;
  // Before the first line that says it listens: whoever waits for that line may signal at once.
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info(`${signal}: finishing pending writes and closing`);
    app.close().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  const storage = config.redisUrl ? { redis: describeRedis(config.redisUrl) } : { dbFile: config.dbFile };
  logger.info({ url, ...storage, contentFile: config.contentFile }, `listening on ${url}`);
  if (!isLoopback(config.host)) {
    const rules = config.security.adminToken ? '' : ', and without ADMIN_TOKEN anyone can change the keyword rules (set ADMIN_TOKEN)';
    logger.warn(
      { host: config.host },
      `HOST=${config.host}: other machines can reach this server, and nothing here asks who they are: every user's chat history, the platform API-call stream (with the bodies the server under test sent) and the platform API under /cgi-bin/ are open to the network${rules}. Keep the port behind a firewall, or listen on 127.0.0.1.`,
    );
  }
  if (config.target) logger.info({ target: config.target.url }, `playing WeChat in front of ${config.target.url}`);

}

void main();
