import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'chai';
import { openApp } from '../server/app/start.ts';
import { DEFAULT_LIMITS, readConfig } from '../server/config.ts';
import { ContentError } from '../server/content/content-error.ts';
import { loadContent } from '../server/content/load-content.ts';
import { silentLogger } from '../server/logger.ts';
import { memoryStore } from '../server/store/low-store.ts';
import { connectUser, tempDir } from './helpers.ts';

const AES_KEY = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';

describe('configuration', () => {
  it('starts from defaults that work from a fresh clone', () => {
    const config = readConfig({});
    expect(config).to.deep.include({ port: 3000, host: '127.0.0.1', logLevel: 'info', target: undefined, redisUrl: undefined });
    expect(config.dbFile).to.equal(path.resolve(import.meta.dirname, '..', 'data', 'db.json'));
    expect(config.security.socketsPerUser).to.equal(DEFAULT_LIMITS.socketsPerUser);
    expect(config.security.rateLimits).to.deep.equal({ perUser: { points: 30, seconds: 10 }, perAddress: { points: 600, seconds: 10 } });
    expect(config.security.corsOrigins).to.deep.equal([]);
  });

  it('reads every setting, the command line winning over its variable', () => {
    const config = readConfig(
      {
        PORT: '0',
        DB_FILE: 'x/db.json',
        LOG_LEVEL: 'debug',
        TARGET_URL: 'http://ignored.example',
        TARGET_TOKEN: 'env-token',
        TARGET_RETRIES: '0',
        WECHAT_AES_KEY: AES_KEY,
        WECHAT_APPID: 'wx-local',
        REDIS_URL: 'rediss://user:pw@127.0.0.1:6380/2',
        RATE_LIMIT_USER: 'off',
        MAX_SOCKETS_PER_USER: '3',
        CORS_ORIGINS: 'https://a.example, *',
        TRUST_PROXY: '2',
        ADMIN_TOKEN: '',
      },
      ['--target', 'http://127.0.0.1:8080/wechat', '--appid', 'wx1', '--secret', 's3', '--aes-key', AES_KEY],
    );
    expect(config.port).to.equal(0);
    expect(config.dbFile).to.equal(path.resolve('x/db.json'));
    expect(config.logLevel).to.equal('debug');
    expect(config.target).to.deep.equal({ url: 'http://127.0.0.1:8080/wechat', token: 'env-token', accountId: undefined, timeoutMs: undefined, retries: 0, appId: 'wx1', aesKey: AES_KEY });
    expect(config.platform).to.deep.equal({ appId: 'wx1', secret: 's3', templatesFile: undefined, oauthDomains: undefined, jsDomains: undefined });
    expect(config).to.deep.include({ wechatAesKey: AES_KEY, wechatAppId: 'wx-local', redisUrl: 'rediss://user:pw@127.0.0.1:6380/2' });
    expect(config.security).to.deep.include({ socketsPerUser: 3, corsOrigins: ['https://a.example', '*'], trustProxy: 2, adminToken: undefined });
    expect(config.security.rateLimits.perUser).to.equal(undefined);
  });

  it('reads the report-location setting from REPORT_LOCATION, and refuses anything but true or false', () => {
    expect(readConfig({ REPORT_LOCATION: 'true' }).platform.reportLocation).to.equal(true);
    expect(readConfig({ REPORT_LOCATION: 'false' }).platform.reportLocation).to.equal(false);
    expect(readConfig({}).platform).to.not.have.property('reportLocation');
    expect(() => readConfig({ REPORT_LOCATION: 'yes' })).to.throw('REPORT_LOCATION must be true or false, not "yes"');
  });

  it('reads the names to answer to from ALLOWED_HOSTS (--allowed-hosts winning) and PUBLIC_URL', () => {
    expect(readConfig({}).security.allowedHosts).to.deep.equal([]);
    const env = { ALLOWED_HOSTS: 'A.example, .dev.example', PUBLIC_URL: 'https://sim.example:8443/base' };
    expect(readConfig(env).security.allowedHosts).to.deep.equal(['a.example', '.dev.example', 'sim.example']);
    expect(readConfig(env, ['--allowed-hosts', 'b.example']).security.allowedHosts).to.deep.equal(['b.example', 'sim.example']);
  });

  it('reads the web authorization and JS interface domains (--oauth-domains and --js-domains winning), the target’s by default', () => {
    expect(readConfig({}).platform).to.deep.include({ oauthDomains: undefined, jsDomains: undefined });
    const env = { OAUTH_DOMAINS: 'Shop.example, localhost:8080', JS_DOMAINS: 'shop.example:443' };
    expect(readConfig(env).platform).to.deep.include({ oauthDomains: [{ host: 'shop.example' }, { host: 'localhost', port: 8080 }], jsDomains: [{ host: 'shop.example' }] });
    expect(readConfig(env, ['--oauth-domains', 'a.example', '--js-domains', 'b.example:3000']).platform).to.deep.include({ oauthDomains: [{ host: 'a.example' }], jsDomains: [{ host: 'b.example', port: 3000 }] });
  });

  for (const [env, argv, message] of [
    [{ OAUTH_DOMAINS: 'https://shop.example' }, [], '--oauth-domains / OAUTH_DOMAINS takes host names with an optional port, such as localhost:8080 or app.example (no scheme or path), not "https://shop.example"'],
    [{}, ['--js-domains', 'shop.example/pay'], '--js-domains / JS_DOMAINS takes host names with an optional port, such as localhost:8080 or app.example (no scheme or path), not "shop.example/pay"'],
    [{ PORT: '70000' }, [], 'PORT must be a port number from 0 to 65535, not "70000"'],
    [{ PORT: 'http' }, [], 'PORT must be a port number from 0 to 65535, not "http"'],
    [{ REDIS_CLUSTER: '1' }, [], 'REDIS_CLUSTER=1 needs REDIS_URL: one or more nodes of the cluster'],
    [{ REDIS_URL: 'redis://a:7000,redis://b:7001' }, [], 'REDIS_URL names one Redis; several nodes, comma-separated, are for a Redis Cluster (REDIS_CLUSTER=1)'],
    [{ REDIS_CLUSTER: 'yes', REDIS_URL: 'redis://a:7000' }, [], 'REDIS_CLUSTER must be 1 or 0, not "yes"'],
    [{ REDIS_CLUSTER: '1', REDIS_URL: 'redis://a:7000,http://b:7001' }, [], 'REDIS_URL must be a redis:// or rediss:// URL (with REDIS_CLUSTER, one or more, comma-separated), not "redis://a:7000,http://b:7001"'],
    [{ REDIS_URL: 'http://127.0.0.1:6379' }, [], 'REDIS_URL must be a redis:// or rediss:// URL (with REDIS_CLUSTER, one or more, comma-separated), not "http://127.0.0.1:6379"'],
    [{ LOG_LEVEL: 'loud' }, [], 'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent, not "loud"'],
    [{ MAX_SOCKETS_PER_USER: '0' }, [], 'MAX_SOCKETS_PER_USER must be a whole number of at least 1, not "0"'],
    [{ TARGET_URL: 'http://t', TARGET_TOKEN: 't', TARGET_TIMEOUT_MS: '1.5' }, [], 'TARGET_TIMEOUT_MS must be a whole number of at least 1, not "1.5"'],
    [{ RATE_LIMIT_USER: 'lots' }, [], 'RATE_LIMIT_USER must look like "30/10s" (30 requests per 10 seconds), "600/1m" or "off", not "lots"'],
    [{ CORS_ORIGINS: 'https://a.example/path' }, [], 'CORS_ORIGINS takes origins such as https://app.example.com (scheme, host, port; no path) or *, not "https://a.example/path"'],
    [{ ALLOWED_HOSTS: 'http://a.example' }, [], '--allowed-hosts / ALLOWED_HOSTS takes host names such as app.example or .app.example (no scheme, port or path) or *, not "http://a.example"'],
    [{ WECHAT_AES_KEY: 'short' }, [], 'WECHAT_AES_KEY must be the 43-character EncodingAESKey (letters, digits, + and /), not "short"'],
    [{}, ['--target', 'ftp://x', '--token', 't'], '--target / TARGET_URL must be an http(s) URL, not "ftp://x"'],
    [{}, ['--target', 'http://x'], '--target needs --token (or TARGET_TOKEN): the token configured for that server'],
    [{}, ['--aes-key', AES_KEY, '--appid', 'wx'], '--aes-key is the EncodingAESKey of the server under test: it needs --target'],
    [{}, ['--target', 'http://x', '--token', 't', '--aes-key', AES_KEY], '--aes-key needs --appid (or TARGET_APPID): safe mode puts the appid in every encrypted message'],
    [{}, ['--name', 'Shop'], '--name describes the account of the server under test: it needs --target'],
    [{ TARGET_ACCOUNT_FILE: 'shop.json' }, [], 'TARGET_ACCOUNT_FILE describes the account of the server under test: it needs --target'],
    [{}, ['--target', 'http://x', '--token', 't', '--name', '  '], '--name / TARGET_NAME must be a name of 1 to 64 characters, not "  "'],
    [{}, ['--target', 'http://x', '--token', 't', '--avatar', 'javascript:alert(1)'], '--avatar / TARGET_AVATAR must be an http(s) URL, not "javascript:alert(1)"'],
  ] as const) {
    it(`refuses ${JSON.stringify(env)} ${argv.join(' ')}: ${message}`, () => {
      expect(() => readConfig(env, [...argv])).to.throw(message);
    });
  }

  it('reads the nodes of a Redis Cluster from REDIS_URL with REDIS_CLUSTER=1, and one Redis without', () => {
    expect(readConfig({ REDIS_CLUSTER: '1', REDIS_URL: 'redis://10.0.0.1:7000, redis://10.0.0.2:7000' })).to.deep.include({ redisUrl: 'redis://10.0.0.1:7000, redis://10.0.0.2:7000', redisCluster: true });
    expect(readConfig({ REDIS_URL: 'redis://127.0.0.1:6379' })).to.deep.include({ redisCluster: false });
  });

  it('names every setting that makes no sense at once', () => {
    expect(() => readConfig({ PORT: '-1', REDIS_URL: 'redis:' })).to.throw('PORT must be a port number from 0 to 65535, not "-1"; REDIS_URL must be a redis:// or rediss:// URL (with REDIS_CLUSTER, one or more, comma-separated), not "redis:"');
  });

  describe('the account in front of a target', () => {
    const TARGET = ['--target', 'http://127.0.0.1:1/wechat', '--token', 't'];

    /** What a window connecting to the simulator started with `env` and `argv` is told the account is. */
    async function readyAccount(env: NodeJS.ProcessEnv, argv: string[]) {
      const app = await openApp({ store: memoryStore(), content: loadContent(readConfig(env, argv)), logger: silentLogger });
      const { socket, ready } = await connectUser(await app.listen(0, '127.0.0.1'));
      socket.disconnect();
      await app.close();
      return ready.account;
    }

    it('is a neutral test account, never the article bot, when nothing names it', async () => {
      expect(await readyAccount({}, [])).to.include({ name: 'WeChat Business Watch' });
      const account = await readyAccount({}, TARGET);
      expect(account).to.deep.equal({ name: 'Test account', description: '', menu: [] });
    });

    it('takes --name and --avatar, which win over TARGET_NAME and TARGET_AVATAR', async () => {
      const env = { TARGET_NAME: 'From the environment', TARGET_AVATAR: 'http://127.0.0.1/env.png' };
      expect(await readyAccount(env, TARGET)).to.include({ name: 'From the environment', avatarUrl: 'http://127.0.0.1/env.png' });
      const account = await readyAccount(env, [...TARGET, '--name', ' 测试号 ', '--avatar', 'https://example.com/a.png']);
      expect(account).to.deep.equal({ name: '测试号', description: '', avatarUrl: 'https://example.com/a.png', menu: [] });
    });

    it('reads TARGET_ACCOUNT_FILE, --name winning over it, and refuses a menu in it', async () => {
      const tmp = await tempDir();
      const file = path.join(tmp.dir, 'shop.json');
      await writeFile(file, JSON.stringify({ name: 'Corner Shop', description: 'Orders and parcels', avatarUrl: 'https://example.com/shop.png' }));
      expect(await readyAccount({ TARGET_ACCOUNT_FILE: file }, TARGET)).to.deep.equal({ name: 'Corner Shop', description: 'Orders and parcels', avatarUrl: 'https://example.com/shop.png', menu: [] });
      expect(await readyAccount({ TARGET_ACCOUNT_FILE: file }, [...TARGET, '--name', 'Renamed'])).to.include({ name: 'Renamed', description: 'Orders and parcels' });
      await writeFile(file, JSON.stringify({ name: 'Corner Shop', menu: [{ name: 'Help', key: 'help' }] }));
      expect(() => loadContent(readConfig({ TARGET_ACCOUNT_FILE: file }, TARGET))).to.throw(ContentError, /shop\.json: menu: no menu here: the server under test creates its own with menu\/create/);
      await tmp.remove();
    });
  });
});
