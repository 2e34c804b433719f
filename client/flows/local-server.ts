// The simulator the flow runner starts in-process when no --url is given: the bot, or the simulator in front of
// --target, with a store that is thrown away afterwards. Loaded only then: with --url the runner needs none of it.
import { UNLIMITED } from '../../server/app/security.ts';
import { startFromConfig } from '../../server/app/start.ts';
import { clientDir, readConfig } from '../../server/config.ts';
import { silentLogger } from '../../server/logger.ts';
import { memoryStore } from '../../server/store/low-store.ts';

export type LocalServer = { url: string; close: () => Promise<void> };

/**
 * Listens on a free port, or on PORT when the server under test must know where the platform API is (its client
 * library's base URL, http://127.0.0.1:PORT/cgi-bin/). Throws a readable message for a bad setting.
 */
export async function startLocalServer(targetArgs: string[]): Promise<LocalServer> {
  const config = readConfig(process.env, targetArgs);
  const { url, close } = await startFromConfig(config, {
    store: memoryStore(),
    logger: silentLogger,
    port: process.env.PORT ? config.port : 0,
    host: '127.0.0.1',
    security: UNLIMITED,
    // The chat window, whose in-app browser flows that OPEN pages drive.
    clientDir,
  });
  return { url, close };
}
