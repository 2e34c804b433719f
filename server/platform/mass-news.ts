// media/uploadnews: the articles of an mpnews mass message, kept 3 days as temporary media are (kind `mass-news`),
// and each article's page on the simulator (its content is the server's HTML, served sandboxed: no script, no
// origin of the simulator's).
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { Article } from '../contract.ts';
import { describeIssues } from '../core/validation.ts';
import { mediaUrl, MEDIA_LIFETIME_MS } from '../media.ts';
import type { ChatStore, Records } from '../store/chat-store.ts';
import { PlatformError } from './errors.ts';
import type { MediaLibrary } from './media.ts';

export type NewsArticle = { thumb_media_id: string; title: string; author?: string; digest?: string; content: string; content_source_url?: string };
type StoredNews = { mediaId: string; articles: NewsArticle[]; createdAt: number };

const text = z.string({ error: 'must be a string' });
const articleSchema = z
  .object({ thumb_media_id: text.min(1), title: text.min(1, { error: 'must not be empty' }), author: text.optional(), digest: text.optional(), content: text.min(1, { error: 'must not be empty' }), content_source_url: text.optional() })
  .loose();
/** The platform takes 8 articles a message. */
const bodySchema = z.object({ articles: z.array(articleSchema).min(1).max(8) });

/** Where an article's page is served, relative to the simulator's origin. */
export const articlePath = (mediaId: string, index: number) => `/mass/articles/${encodeURIComponent(mediaId)}/${index}`;

export class MassNews {
  private readonly records: Records<StoredNews>;

  constructor(
    store: ChatStore,
    private readonly media: MediaLibrary,
    private readonly now: () => number,
  ) {
    this.records = store.records<StoredNews>('mass-news');
  }

  /** POST media/uploadnews { articles } → { type: 'news', media_id, created_at }; each thumb must be an uploaded image or thumb. */
  async upload(body: Record<string, unknown>): Promise<object> {
    const parsed = bodySchema.safeParse(body);
    if (!parsed.success) throw new PlatformError(parsed.error.issues.some((i) => i.path[0] === 'articles' && i.code === 'too_big') ? 45008 : 47001, describeIssues(parsed.error));
    for (const article of parsed.data.articles) await this.media.get(article.thumb_media_id, ['image', 'thumb']);
    const mediaId = `news_${randomBytes(18).toString('base64url')}`;
    const createdAt = this.now();
    await this.records.put(mediaId, { mediaId, articles: parsed.data.articles, createdAt }, { ttlMs: MEDIA_LIFETIME_MS });
    return { type: 'news', media_id: mediaId, created_at: Math.floor(createdAt / 1000) };
  }

  /** The news message's cards as the chat shows them; 40007 for an unknown or lapsed media_id. */
  async cards(mediaId: unknown): Promise<Article[]> {
    const news = typeof mediaId === 'string' ? await this.records.get(mediaId) : undefined;
    if (!news) throw new PlatformError(40007, 'no news was uploaded with media/uploadnews under this media_id, or it lapsed');
    return news.articles.map((a, i) => ({ title: a.title, description: a.digest ?? '', url: articlePath(news.mediaId, i), picUrl: mediaUrl(a.thumb_media_id) }));
  }

  /** One article, for its page; undefined when there is none. */
  async article(mediaId: string, index: number): Promise<NewsArticle | undefined> {
    return (await this.records.get(mediaId))?.articles[index];
  }
}
