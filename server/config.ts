// Configuration from the environment, with defaults that make `npm start` work from a fresh clone.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dataDir = path.join(projectRoot, 'data');

export type Config = {
  port: number;
  host: string;
  dbFile: string;
  contentFile: string;
  accountFile: string;
  rulesFile: string;
  logLevel: string;
};

/** Reads the configuration; throws with the variable's name when a value makes no sense. */
export function readConfig(env: NodeJS.ProcessEnv = process.env): Config {
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
  };
}

/** Where `npm run build` puts the chat window. */
export const clientDir = path.join(projectRoot, 'client', 'dist');
