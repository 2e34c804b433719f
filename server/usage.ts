// What `wechat-oa-simulator --help` (and `npm start -- --help`) prints: every option and environment variable.

/** The server's usage text, kept beside readConfig's options (START_OPTIONS) and environment variables. */
export const SERVER_USAGE = `Usage: wechat-oa-simulator [options]              serve the chat window (and the platform API)
       wechat-oa-simulator flows [options] PATH...  play Botium convo files (flows --help)
       wechat-oa-simulator --version
(in this repository: npm start -- [options], npm run flows -- [options] PATH...)

Without --target the local article bot answers; with it the simulator plays WeChat in front of
your official-account server.

Options (each also an environment variable):
  --target URL       TARGET_URL      the official-account server to test, e.g. http://localhost:8080/wechat
  --token TOKEN      TARGET_TOKEN    the token configured for that server (needed with --target)
  --appid APPID      TARGET_APPID    the account's appid
  --secret SECRET    TARGET_SECRET   the account's AppSecret, for the platform API under /cgi-bin/
  --aes-key KEY      TARGET_AES_KEY  the 43-character EncodingAESKey: push in safe mode (needs --appid)
  --name NAME        TARGET_NAME     the account's name in the chat window (default "Test account")
  --avatar URL       TARGET_AVATAR   its avatar, an http(s) URL (default: the name's initial)
  --allowed-hosts H  ALLOWED_HOSTS   more names to answer to than localhost, this machine's addresses and
                                     PUBLIC_URL's host, e.g. sim.example,.dev.example (and subdomains); * for any
  --oauth-domains D  OAUTH_DOMAINS   the web authorization domain: host[:port] entries (subdomains included)
                                     where redirect_uri may point (default: the target's host and port)
  --js-domains D     JS_DOMAINS      the JS interface domains wx.config accepts pages from (same form and default)
  --mchid ID         PAY_MCHID       WeChat Pay under /v3/: the merchant id (all four --mchid, --mch-serial,
  --mch-serial S     PAY_MCH_SERIAL  --mch-public-key and --apiv3-key turn it on; docs/testing-payments.md)
  --mch-public-key F PAY_MCH_PUBLIC_KEY  the merchant's API certificate or public key, a PEM file
  --apiv3-key KEY    PAY_APIV3_KEY   the 32-character APIv3 key notifications are encrypted with
  --help, -h                         this text

Environment:
  PORT                 port to listen on (default 3000; 0 picks a free one)
  HOST                 address to listen on (default 127.0.0.1)
  DB_FILE              the store (default: .wechat-oa-simulator/db.json in the current folder for the
                       installed command; data/db.json for npm start in this repository)
  CONTENT_FILE         the article (default: the package's data/article.md)
  ACCOUNT_FILE         the account's name, avatar and menu (default: the package's data/account.json)
  RULES_FILE           keyword rules seeded into a new store (default: the package's data/rules.json)
  TEMPLATES_FILE       the account's template messages (default: any template id is accepted)
  TARGET_ACCOUNT       the account id sent as ToUserName (default gh_simulator)
  TARGET_ACCOUNT_FILE  the name, description and avatar of the server under test's account, as in
                       data/account.json without a menu (--name and --avatar win over it)
  TARGET_TIMEOUT_MS    how long one push to the target may take (default 5000)
  TARGET_RETRIES       retries after the first push (default 2: three attempts in all, as WeChat makes)
  WECHAT_TOKEN         turns on /wechat, where the local bot answers a real official account
  WECHAT_AES_KEY, WECHAT_APPID   safe mode on /wechat
  PUBLIC_URL           this server's public address, for absolute links in WeChat replies (its host is
                       one this server answers to)
  REDIS_URL            keep everything in this Redis (redis://host:port), so many processes act as one
  REDIS_CLUSTER=1      REDIS_URL names nodes of a Redis Cluster (redis://a:7000,redis://b:7001)
  MEDIA_QUOTA_MB       the megabytes of media (kept 3 days each) the store holds at most (default 512)
  PAGES_HOST           the domain the in-app browser serves pages under (default pages.localhost)
  PAY_NOTIFY_SPEEDUP   divides WeChat Pay's notification retry schedule (15 s, 15 s, 30 s, … 24 h) for tests
  PAY_SIGN_WITH        public-key (default: Wechatpay-Serial is PUB_KEY_ID_…) or certificate (the serial of
                       the platform certificate at /v3/certificates, for libraries without public-key mode)
  PAY_MERCHANT_NAME    the merchant's name on the pay sheet and the receipt (default: the account's name)
  REPORT_LOCATION      true: the account's report-location setting (LOCATION pushed on entering the chat)
  LOG_LEVEL            fatal, error, warn, info (default), debug, trace or silent
  RATE_LIMIT_USER, RATE_LIMIT_ADDRESS, MAX_SOCKETS_PER_USER   limits (docs/security.md)
  ADMIN_TOKEN, CORS_ORIGINS, TRUST_PROXY                      security (docs/security.md)
`;
