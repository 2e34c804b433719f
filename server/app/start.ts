// The one start-up path: open the components, build the app from them, listen. `npm start`, the flow runner's
// in-process simulator, the screenshots and the tests all start this way.
import type { Config } from '../config.ts';
import { loadContent } from '../content/load-content.ts';
import type { Logger } from '../logger.ts';
import type { SecurityOptions } from './security.ts';
import type { ChatStore } from '../store/chat-store.ts';
import { remoteResponder } from '../wechat/remote-bot.ts';
import { createApp, type App } from './app.ts';
import { openComponents, type AppOptions } from './components.ts';

/** Both steps of start-up, without listening. */
export async function openApp(options: AppOptions): Promise<App> {
  return createApp(await openComponents(options));
}

export type Started = { app: App; url: string; close: () => Promise<void> };

/** Opens the app and listens; `close` undoes both. */
export async function startApp(options: AppOptions, port: number, host?: string): Promise<Started> {
  const app = await openApp(options);
  try {
    const url = await app.listen(port, host);
    return { app, url, close: () => app.close() };
  } catch (err) {
    await app.close();
    throw err;
  }
}

export type Surroundings = {
  store: ChatStore;
  logger: Logger;
  clientDir?: string;
  port: number;
  host: string;
  /** In place of the configuration's limits: the in-process simulators run UNLIMITED. */
  security?: SecurityOptions;
};

/**
 * The app as the configuration describes it, listening. In front of a target, pictures link back to PUBLIC_URL,
 * or to the address this server listens on, which the responder asks for at each push.
 */
export async function startFromConfig(config: Config, { store, logger, clientDir, port, host, security = config.security }: Surroundings): Promise<Started> {
  let listening: string | undefined;
  const target = config.target && { ...config.target, publicUrl: config.publicUrl };
  const started = await startApp(
    {
      store,
      redisUrl: config.redisUrl,
      content: loadContent(config),
      logger,
      clientDir,
      wechat: { token: config.wechatToken, publicUrl: config.publicUrl, aesKey: config.wechatAesKey, appId: config.wechatAppId },
      responder: target ? remoteResponder(target, logger, { selfUrl: () => listening }) : undefined,
      security,
      platform: { ...config.platform, target },
      pagesHost: config.pagesHost,
    },
    port,
    host,
  );
  listening = started.url;
  return started;
}
