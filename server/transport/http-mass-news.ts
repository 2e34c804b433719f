// The page of an mpnews article a mass message carries (GET /mass/articles/:mediaId/:index): its content is the
// server under test's HTML, so it is served sandboxed (no script runs, and it has no origin of the simulator's).
import { Router } from 'express';
import type { MassNews } from '../platform/mass-news.ts';

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function massNewsRoutes(news: MassNews): Router {
  const router = Router();
  router.get('/mass/articles/:mediaId/:index', async (req, res) => {
    const article = /^\d{1,2}$/.test(req.params.index) ? await news.article(req.params.mediaId, Number(req.params.index)) : undefined;
    if (!article) return void res.status(404).type('text/plain').send('no such article, or it lapsed');
    res.set('Content-Security-Policy', "sandbox; default-src 'none'; img-src * data:; style-src 'unsafe-inline'");
    const byline = article.author ? `<p class="author">${escapeHtml(article.author)}</p>` : '';
    res.type('html').send(`<!doctype html><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${escapeHtml(article.title)}</title><h1>${escapeHtml(article.title)}</h1>${byline}<article>${article.content}</article>`);
  });
  return router;
}
