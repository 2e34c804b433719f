// The public contract (messages, Socket.IO events, HTTP payloads; see docs/contract.md), typed
// once and shared by the server, the chat window, the SDK and the flow runner.

/** What a user sends. Any inbound may carry `clientId`: a resend with the same one is answered once. */
export type Inbound =
  /** `optionId`: the tapped item of an `options` message. */
  | { type: 'text'; text: string; optionId?: string; clientId?: string }
  /** A picture the user sent, uploaded first with POST /api/media. */
  | { type: 'image'; url: string; mediaId?: string; clientId?: string }
  | { type: 'event'; event: 'subscribe' | 'unsubscribe'; clientId?: string }
  /** A menu button. */
  | { type: 'event'; event: 'click'; key: string; clientId?: string }
  /** A menu link the user opened. */
  | { type: 'event'; event: 'view'; url: string; clientId?: string }
  /** The user scanned a parametric QR code of the account (qrcode/create): SCAN, or a follow by it. */
  | { type: 'event'; event: 'scan'; ticket: string; clientId?: string }
  /** A location the user sent: degrees, the map's zoom (`scale`) and the place's name, as WeChat's location message. */
  | { type: 'location'; latitude: number; longitude: number; scale?: number; label?: string; clientId?: string }
  /** A link the user shared (an article, a page), as WeChat's link message. */
  | { type: 'link'; title: string; description?: string; url: string; clientId?: string };

/** One card of a news message; WeChat calls it an article, so the contract does too. */
export type Article = {
  title: string;
  description: string;
  url: string;
  picUrl?: string;
  sectionId?: string;
};

export type TemplateData = Record<string, { value: string; color?: string }>;

export type OptionItem = { id: string; text: string };

/** What the bot, or the official-account server under test, sends. */
export type Outbound =
  | { type: 'text'; text: string }
  /** 1..8 cards, as in WeChat. */
  | { type: 'news'; articles: Article[] }
  | { type: 'image'; url: string; mediaId?: string }
  | { type: 'voice' | 'video'; url: string; mediaId?: string; title?: string; description?: string }
  /**
   * A template message card. `content` (our addition to the contract) is the template's text with
   * `{{key.DATA}}` placeholders, when the account's templates are configured.
   */
  | { type: 'template'; templateId: string; title?: string; url?: string; content?: string; data: TemplateData }
  /** WeChat's msgmenu: tappable replies; a tap sends the item's text with its id as `optionId`. */
  | { type: 'options'; head?: string; items: OptionItem[]; tail?: string };

/** How a message was obtained, e.g. the XML exchanged with a target server, or the API call that sent it. */
export type Trace = Record<string, unknown>;

export type StoredMessage = (Inbound | Outbound) & {
  id: string;
  userId: string;
  from: 'user' | 'bot';
  createdAt: string;
  /** The inbound id a bot message answers. */
  replyTo?: string;
  trace?: Trace;
};

export type MenuItem = { name: string; key?: string; url?: string };
export type MenuButton = MenuItem & { sub?: MenuItem[] };

export type Account = {
  name: string;
  description: string;
  avatarUrl?: string;
  menu: MenuButton[];
};

export type ErrorCode =
  | 'bad_request'
  | 'unauthorized'
  /** A write from a page of another site (not one of CORS_ORIGINS). */
  | 'cross_site'
  /** A Host this server does not answer to (ALLOWED_HOSTS). */
  | 'host_not_allowed'
  | 'too_long'
  | 'too_large'
  | 'unsupported_media'
  | 'rate_limited'
  | 'too_many_connections'
  | 'not_found'
  /** POST /api/pages: an origin the server under test did not name (the in-app browser fetches no other). */
  | 'page_not_allowed'
  | 'conflict'
  /** A scan of a temporary QR code whose expire_seconds are over (an addition to DESIGN.md); HTTP 410. */
  | 'qrcode_expired'
  /** POST /api/media: the store holds as much live media as it may (MEDIA_QUOTA_MB); HTTP 507. */
  | 'media_quota'
  | 'storage_unavailable'
  | 'shutting_down'
  | 'internal';

/**
 * POST /api/pages/authorize `{ userId, query, consent? }` (an addition to DESIGN.md): web authorization in the
 * in-app browser, for the chat's own user. `load`: the redirect_uri (with code and state) on its pages host;
 * `consent`: show WeChat's consent sheet, then ask again with `consent: 'allow' | 'deny'`; `refused`: WeChat's
 * error page.
 */
export type PageAuthorizeAnswer =
  | { next: 'load'; url: string }
  | { next: 'consent'; account: string; host: string; nickname: string; avatarUrl: string }
  | { next: 'refused'; errcode: number; message: string };

/** `retryAfterMs` comes with `rate_limited`: when the same request would be accepted again. */
export type ErrorBody = { code: ErrorCode; message: string; retryAfterMs?: number };

/** What one inbound message produced: the stored inbound and the stored replies. */
export type Exchange = { message: StoredMessage; replies: StoredMessage[] };

export type MessageAck = ({ ok: true } & Exchange) | { ok: false; error: ErrorBody };

/**
 * `replyDeadlineMs` (an addition to DESIGN.md): how long the server may take to acknowledge a message, e.g.
 * longer in front of a target (its attempts of 5 s); a window waits that long before offering Retry.
 */
export type ReadyPayload = { userId: string; account: Account; history: StoredMessage[]; replyDeadlineMs: number };

export type TypingPayload = { on: boolean };

/**
 * A call the server under test made to the platform API, for the developer panel (an addition to DESIGN.md):
 * an id unique to the call, method, path (the access_token left out), body, and the errcode it got, in the order they came.
 */
export type ApiCall = { id: string; at: string; method: string; path: string; body?: unknown; errcode: number; errmsg: string };

/** What the developer panel asks with `subscribe`: the API-call stream on (true) or off (false). */
export type SubscribeRequest = { apiCalls: boolean };

/** The answer to `subscribe`: when subscribing, the newest calls kept (up to 200, oldest first), so the panel shows calls made before it opened. */
export type SubscribeAck = { ok: true; apiCalls: ApiCall[] } | { ok: false; error: ErrorBody };

export interface ServerToClientEvents {
  ready: (payload: ReadyPayload) => void;
  /** Every stored message of the user, except to the socket whose ack already carries it. */
  message: (message: StoredMessage) => void;
  /** The account, whenever it changes (the server under test created or deleted its menu). */
  account: (account: Account) => void;
  /** While the server under test says it is typing (15 s at most; a message ends it). */
  typing: (payload: TypingPayload) => void;
  /** Every platform API call, to the sockets subscribed with `subscribe` (an addition to DESIGN.md, for the developer panel). */
  apiCall: (call: ApiCall) => void;
}

export interface ClientToServerEvents {
  message: (inbound: Inbound, ack: (result: MessageAck) => void) => void;
  /** Turns the `apiCall` stream on or off for this socket (an addition to DESIGN.md, for the developer panel). */
  subscribe: (request: SubscribeRequest, ack: (result: SubscribeAck) => void) => void;
}

/** What `POST /api/media` answers: the picture's id, and where the chat window and targets fetch it. */
export type MediaPayload = { mediaId: string; url: string };

/**
 * One of the account's live parametric QR codes, as `GET /api/qrcodes` lists them for *Scan* (an addition to
 * DESIGN.md): `scene` is the EventKey a scan sends, `url` what the code's image encodes.
 */
export type QrCodeInfo = { ticket: string; action: 'QR_SCENE' | 'QR_STR_SCENE' | 'QR_LIMIT_SCENE' | 'QR_LIMIT_STR_SCENE'; scene: string; url: string; createdAt: string; expiresAt?: string };

/** A follower as `GET /api/followers` lists them for the developer panel (an addition to DESIGN.md). */
export type FollowerInfo = { openId: string; userId: string; subscribeTime: number; remark: string; tags: Array<{ id: number; name: string }> };

/** A section as `GET /api/article/sections/:id` returns it. */
export type SectionPayload = { id: string; number: number; title: string; keywords: string[]; text: string };

/** The article outline as `GET /api/article` returns it. */
export type ArticlePayload = {
  title: string;
  sections: Array<{ id: string; number: number; title: string; keywords: string[] }>;
};
