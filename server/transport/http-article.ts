// Read-only HTTP access to the article: its outline and whole sections.
import { Router } from 'express';
import type { ArticlePayload, SectionPayload } from '../contract.ts';
import type { ChatService } from '../core/chat-service.ts';
import { AppError } from '../core/errors.ts';
import { parseId } from '../core/validation.ts';

export function articleRoutes(service: ChatService): Router {
  const router = Router();

  router.get('/api/article', (_req, res) => {
    const { article } = service.knowledge;
    const payload: ArticlePayload = {
      title: article.title,
      sections: article.sections.map(({ id, number, title, keywords }) => ({ id, number, title, keywords })),
    };
    res.json(payload);
  });

  router.get('/api/article/sections/:id', (req, res) => {
    const id = parseId(req.params.id, 'id');
    const section = service.knowledge.article.sections.find((s) => s.id === id);
    if (!section) throw new AppError('not_found', `There is no section "${id}".`);
    const payload: SectionPayload = { ...section };
    res.json(payload);
  });

  return router;
}
