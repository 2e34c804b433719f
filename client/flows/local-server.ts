// The simulator the flow runner starts in-process when no --url is given: the bot, or the simulator in front of
// --target, with a store that is thrown away afterwards. Loaded only then: with --url the runner needs none of it.
import { createApp } from '../../server/app/app.ts';
import { readConfig } from '../../server/config.ts';
import { loadContent } from '../../server/content/load-content.ts';
import { silentLogger } from '../../server/logger.ts';
import { memoryStore } from '../../server/store/low-store.ts';
import { remoteResponder } from '../../server/wechat/remote-bot.ts';

export type LocalServer = { url: string; close: () => Promise<void> };

/**
 * Listens on a free port, or on PORT when the server under test must know where the platform API is (its client
 * library's base URL, http://127.0.0.1:PORT/cgi-bin/). Throws a readable message for a bad setting.
 */
export async function startLocalServer(targetArgs: string[]): Promise<LocalServer> {
  const config = readConfig(process.env, targetArgs);
  const target = config.target && { ...config.target };
  const app = await createApp({
    store: memoryStore(),
    content: loadContent(config),
    logger: silentLogger,
    responder: target ? remoteResponder(target) : undefined,
    platform: { ...config.platform, target },
  });
  const url = await app.listen(process.env.PORT ? config.port : 0, '127.0.0.1');
  // Pictures sent to the target link back to this simulator.
  if (target) target.publicUrl ??= config.publicUrl ?? url;
  return { url, close: () => app.close() };
}
