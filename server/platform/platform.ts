// The platform API a server under test calls: one method per call, each answering the platform's JSON or
// throwing a PlatformError. HTTP is the router's business (transport/http-platform.ts).
import type { ChatService, TurnState } from '../core/chat-service.ts';
import { processIds, type Ids } from '../core/ids.ts';
import type { Logger } from '../logger.ts';
import { downloadName, type MediaType } from '../media.ts';
import type { ChatStore, Records } from '../store/chat-store.ts';
import { pushToTarget, type TargetOptions } from '../wechat/remote-bot.ts';
import { CustomerService } from './customer-service.ts';
import { OK, PlatformError } from './errors.ts';
import { MediaLibrary } from './media.ts';
import { chatMenu, parseMenu, type PlatformButton } from './menu.ts';
import { AccountTemplates, loadTemplates, templateFinishedXml, templateMessage } from './templates.ts';
import { Tokens } from './tokens.ts';
import { followerOf, type Followers } from './users.ts';
import { Profiles } from './profiles.ts';
import type { QrCodes } from './qr-codes.ts';
import { LocationReports } from './location-reports.ts';
import { FOLLOWER_LIMITS, FollowerList } from './follower-list.ts';
import { Tags } from './tags.ts';
import type { MassJobOptions } from './mass-jobs.ts';
import { MassMessages } from './mass-messages.ts';
import { MassNews } from './mass-news.ts';
import type { WebDomain } from './web-domains.ts';
import { WebPages } from './web-pages.ts';

export type PlatformOptions = {
  /** The account's appid and AppSecret (--appid, --secret); without a secret every call says what to configure. */
  appId?: string;
  secret?: string;
  /** The account's template messages (TEMPLATES_FILE); any template id is accepted without it. */
  templatesFile?: string;
  /** The server under test, for the events the platform pushes it (TEMPLATESENDJOBFINISH). */
  target?: TargetOptions;
  /** The clock tokens, windows and media lifetimes are measured with; tests pass their own. */
  now?: () => number;
  /** The web authorization domain and the JS interface domains (OAUTH_DOMAINS, JS_DOMAINS); the target's host and port by default. */
  oauthDomains?: WebDomain[];
  jsDomains?: WebDomain[];
  /** The account's *report location* setting (REPORT_LOCATION): entering the chat pushes LOCATION to the target. */
  reportLocation?: boolean;
  /** OpenIDs a user/get or user/tag/get page holds: the platform's 10 000 unless a test pages with fewer. */
  followersPageSize?: number;
  /** How mass messages run: deliveries at once, the lease on a job, how often unfinished ones are looked for. */
  massJobs?: MassJobOptions;
};

// The menu is one record of its kind.
const MENU_KIND = 'menu';
const MENU = 'buttons';
// The account id the remote responder sends as ToUserName when none is configured.
const DEFAULT_ACCOUNT_ID = 'gh_simulator';

export type PlatformParts = { store: ChatStore; service: ChatService; followers: Followers; qrCodes: QrCodes; logger: Logger; ids?: Ids };

export class Platform {
  private readonly store: ChatStore;
  private readonly menu: Records<PlatformButton[]>;
  private readonly service: ChatService;
  readonly followers: Followers;
  /** The account's parametric QR codes (qrcode/create, showqrcode, and what *Scan* lists). */
  readonly qrCodes: QrCodes;
  private readonly logger: Logger;
  private readonly tokens?: Tokens;
  private readonly webPages?: WebPages;
  /** Each chat user's nickname and avatar, which sns/userinfo shows. */
  readonly profiles: Profiles;
  private readonly media: MediaLibrary;
  /** The followers (user/get, user/info, batchget, remarks) and their tags. */
  readonly followerList: FollowerList;
  readonly tags: Tags;
  /** Mass messages, and the mpnews articles they carry. */
  readonly mass: MassMessages;
  readonly news: MassNews;
  /** Where each user is, and the LOCATION event entering the chat pushes with the setting on. */
  readonly locations: LocationReports;
  private readonly customerService: CustomerService;
  readonly templates: AccountTemplates;
  private readonly now: () => number;
  private readonly ids: Ids;

  constructor(
    { store, service, followers, qrCodes, logger, ids = processIds }: PlatformParts,
    private readonly options: PlatformOptions,
  ) {
    this.store = store;
    this.menu = store.records<PlatformButton[]>(MENU_KIND);
    this.service = service;
    this.followers = followers;
    this.qrCodes = qrCodes;
    this.logger = logger;
    this.ids = ids;
    this.now = options.now ?? Date.now;
    this.profiles = new Profiles(store);
    if (options.appId && options.secret) {
      const credentials = { appId: options.appId, secret: options.secret };
      this.tokens = new Tokens(store, credentials, this.now);
      this.webPages = new WebPages(
        { store, tokens: this.tokens, credentials, profiles: this.profiles, now: this.now },
        { oauthDomains: options.oauthDomains, jsDomains: options.jsDomains, targetUrl: options.target?.url },
      );
    }
    this.media = new MediaLibrary(store, this.now);
    const pageSize = options.followersPageSize ?? FOLLOWER_LIMITS.pageSize;
    this.followerList = new FollowerList(service, followers, pageSize);
    this.tags = new Tags(store, followers, this.followerList, pageSize);
    this.news = new MassNews(store, this.media, this.now);
    this.mass = new MassMessages(
      { store, service, followerList: this.followerList, tags: this.tags, media: this.media, news: this.news, logger, now: this.now, ids },
      options.target,
      options.target?.accountId ?? DEFAULT_ACCOUNT_ID,
      options.massJobs,
    );
    this.locations = new LocationReports(store, { target: options.target, enabled: options.reportLocation ?? false, accountId: options.target?.accountId ?? DEFAULT_ACCOUNT_ID, now: this.now, logger });
    this.templates = new AccountTemplates(store, options.templatesFile ? loadTemplates(options.templatesFile) : undefined);
    this.customerService = new CustomerService(service, this.followers, this.media, this.now);
  }

  /** Start-up: stores the templates TEMPLATES_FILE lists, shows the stored menu (see restoreMenu), and takes up unfinished mass messages. */
  async open(): Promise<void> {
    await this.templates.store();
    await this.restoreMenu();
    this.mass.open();
  }

  /**
   * Shows the stored menu; in front of a target, no menu until its server creates one. Processes sharing a
   * store follow each other's menu changes without announcing them again (the one that made it did).
   */
  private async restoreMenu(): Promise<void> {
    await this.showStoredMenu(true);
    this.store.onRecordChanged((kind, key) => {
      if (kind === MENU_KIND && key === MENU) this.showStoredMenu(false).catch((err: unknown) => this.logger.warn({ err }, 'could not read the menu another process created'));
    });
  }

  private async showStoredMenu(announce: boolean): Promise<void> {
    const stored = await this.menu.get(MENU);
    if (stored) this.service.setMenu(chatMenu(stored), { announce });
    else if (this.options.target) this.service.setMenu([], { announce });
  }

  /** Refuses every call while the appid or secret is missing, saying how to start the simulator. */
  requireConfigured(): Tokens {
    if (this.tokens) return this.tokens;
    throw new PlatformError(48001, 'the simulator has no AppSecret: start it with npm start -- --target URL --token T --appid APPID --secret SECRET (or TARGET_APPID and TARGET_SECRET)');
  }

  /** Web authorization and the JS-SDK; refused like every call while the appid or secret is missing. */
  web(): WebPages {
    this.requireConfigured();
    return this.webPages!;
  }

  /** GET token?grant_type=client_credential&appid&secret */
  async token(query: Record<string, unknown>): Promise<object> {
    const tokens = this.requireConfigured();
    if (query.grant_type !== 'client_credential') throw new PlatformError(40002, 'grant_type must be client_credential');
    tokens.authenticate(query.appid, query.secret);
    return tokens.issue();
  }

  /** POST stable_token { grant_type, appid, secret, force_refresh } */
  async stableToken(body: Record<string, unknown>): Promise<object> {
    const tokens = this.requireConfigured();
    if (body.grant_type !== 'client_credential') throw new PlatformError(40002, 'grant_type must be client_credential');
    tokens.authenticate(body.appid, body.secret);
    return tokens.stable(body.force_refresh === true);
  }

  /** Checks a call's access_token (41001, 40001, 42001). */
  async authorize(accessToken: unknown): Promise<void> {
    await this.requireConfigured().check(accessToken);
  }

  async customSend(body: unknown): Promise<object> {
    await this.customerService.send(body);
    return OK;
  }

  async customTyping(body: unknown): Promise<object> {
    await this.customerService.typing(body);
    return OK;
  }

  async menuCreate(body: unknown): Promise<object> {
    const buttons = parseMenu(body);
    await this.menu.put(MENU, buttons);
    this.service.setMenu(chatMenu(buttons));
    return OK;
  }

  async menuGet(): Promise<object> {
    const buttons = await this.menu.get(MENU);
    if (!buttons?.length) throw new PlatformError(46003, 'no menu was created, or it was deleted');
    return { menu: { button: buttons } };
  }

  async menuDelete(): Promise<object> {
    // Kept as an empty menu, so a restart does not bring back the account file's menu.
    await this.menu.put(MENU, []);
    this.service.setMenu([]);
    return OK;
  }

  /** POST message/template/send: the card in the chat, then TEMPLATESENDJOBFINISH to the target after the answer. */
  async templateSend(body: unknown): Promise<object> {
    const { touser, outbound } = await templateMessage(body, this.templates);
    const user = await this.followers.find(touser);
    const check = (state: TurnState) => {
      if (!followerOf(user, state)?.subscribed) throw new PlatformError(43004, 'the user has unfollowed the account');
      return undefined; // template messages need no window
    };
    await this.service.deliver(user.userId, [outbound], { trace: { api: { path: 'message/template/send', body } }, check });
    const msgId = this.ids.msgId(this.now());
    const target = this.options.target;
    if (target) {
      const xml = templateFinishedXml({ accountId: target.accountId ?? DEFAULT_ACCOUNT_ID, openId: user.openId, msgId, createTime: Math.floor(this.now() / 1000) });
      setImmediate(() => {
        pushToTarget(target, user.openId, xml, this.logger).then(
          ({ attempts }) => this.logger.debug({ msgId, attempts }, 'TEMPLATESENDJOBFINISH pushed'),
          (err: unknown) => this.logger.warn({ err, msgId }, 'TEMPLATESENDJOBFINISH could not be pushed'),
        );
      });
    }
    return { ...OK, msgid: msgId };
  }

  /** GET user/info?openid&lang */
  async userInfo(query: Record<string, unknown>): Promise<object> {
    return this.followerList.info(query.openid, query.lang);
  }

  /** POST qrcode/create; `origin` is the simulator's, where the code's URL opens a chat. */
  async qrcodeCreate(body: Record<string, unknown>, origin: string): Promise<object> {
    return this.qrCodes.create(body, this.options.target?.publicUrl ?? origin);
  }

  async mediaUpload(type: MediaType, file: { buffer: Buffer; originalname?: string } | undefined): Promise<object> {
    return this.media.upload(type, file);
  }

  /** GET media/get?media_id: the file's bytes, its detected type, and the uploaded name made safe to download. */
  async mediaGet(query: Record<string, unknown>): Promise<{ bytes: Buffer; contentType: string; filename: string }> {
    const { record, bytes } = await this.media.get(query.media_id);
    return { bytes, contentType: record.contentType, filename: downloadName(record.filename ?? record.mediaId, record.contentType) };
  }

  /** Takes up no more mass messages, and resolves once those this process runs are delivered (before the service stops). */
  finishMass(): Promise<void> {
    return this.mass.finish();
  }

  /** Stops the typing timers. */
  close(): void {
    this.customerService.close();
  }
}
