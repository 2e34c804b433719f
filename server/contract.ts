// The public contract of DESIGN.md, typed once and shared by the server, the client and scripts.

export type Inbound =
  | { type: 'text'; text: string; clientId?: string }
  | { type: 'event'; event: 'subscribe' | 'unsubscribe'; clientId?: string }
  | { type: 'event'; event: 'click'; key: string; clientId?: string };

export type Article = {
  title: string;
  description: string;
  url: string;
  picUrl?: string;
  sectionId?: string;
};

export type Outbound = { type: 'text'; text: string } | { type: 'news'; articles: Article[] };

export type StoredMessage = (Inbound | Outbound) & {
  id: string;
  userId: string;
  from: 'user' | 'bot';
  createdAt: string;
  replyTo?: string;
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
  | 'too_long'
  | 'too_large'
  | 'rate_limited'
  | 'too_many_connections'
  | 'not_found'
  | 'conflict'
  | 'storage_unavailable'
  | 'shutting_down'
  | 'internal';

/** `retryAfterMs` comes with `rate_limited`: when the same request would be accepted again. */
export type ErrorBody = { code: ErrorCode; message: string; retryAfterMs?: number };

/** What one inbound message produced: the stored inbound and the stored replies. */
export type Exchange = { message: StoredMessage; replies: StoredMessage[] };

export type MessageAck = ({ ok: true } & Exchange) | { ok: false; error: ErrorBody };

export type ReadyPayload = { userId: string; account: Account; history: StoredMessage[] };

export interface ServerToClientEvents {
  ready: (payload: ReadyPayload) => void;
  message: (message: StoredMessage) => void;
}

export interface ClientToServerEvents {
  message: (inbound: unknown, ack: (result: MessageAck) => void) => void;
}

/** A section as `GET /api/article/sections/:id` returns it. */
export type SectionPayload = { id: string; number: number; title: string; keywords: string[]; text: string };

/** The article outline as `GET /api/article` returns it. */
export type ArticlePayload = {
  title: string;
  sections: Array<{ id: string; number: number; title: string; keywords: string[] }>;
};
