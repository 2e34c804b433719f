// Keyword rules over HTTP: GET, POST, PUT and DELETE /api/rules, validated before anything is stored.
import { randomBytes } from 'node:crypto';
import { Router, type RequestHandler } from 'express';
import type { ChatService } from '../core/chat-service.ts';
import { ruleInputSchema, type Rule, type RuleInput } from '../content/rules.ts';
import { AppError } from '../core/errors.ts';
import { MAX_RULES } from '../limits.ts';
import { describeIssues, parseId } from '../core/validation.ts';

const roomFor = (rules: Rule[]) => {
  if (rules.length >= MAX_RULES) throw new AppError('conflict', `There are ${MAX_RULES} rules already, the most allowed; delete one first.`);
};

/** Validates a rule from a client, including that the sections it points at exist. */
function parseRule(service: ChatService, body: unknown): RuleInput {
  const result = ruleInputSchema.safeParse(body);
  if (!result.success) throw new AppError('bad_request', describeIssues(result.error));
  const sectionIds = new Set(service.knowledge.article.sections.map((s) => s.id));
  result.data.replies.forEach((reply, i) => {
    if (reply.type === 'section' && !sectionIds.has(reply.sectionId)) {
      throw new AppError('bad_request', `replies.${i}.sectionId: there is no section "${reply.sectionId}".`);
    }
  });
  return result.data;
}

/** The rules API; `admin` guards the writes (see security.ts). */
export function ruleRoutes(service: ChatService, admin: RequestHandler): Router {
  const router = Router();
  const mustFind = (raw: unknown) => {
    const id = parseId(raw, 'id');
    const rule = service.rules().find((r) => r.id === id);
    if (!rule) throw new AppError('not_found', `There is no rule "${id}".`);
    return rule;
  };

  router.get('/api/rules', (_req, res) => {
    res.json({ rules: service.rules() });
  });

  router.get('/api/rules/:id', (req, res) => {
    res.json({ rule: mustFind(req.params.id) });
  });

  router.post('/api/rules', admin, async (req, res) => {
    const requestedId = (req.body as { id?: unknown } | undefined)?.id;
    const id = requestedId === undefined ? `r_${randomBytes(6).toString('base64url')}` : parseId(requestedId, 'id');
    const rule: Rule = { id, ...parseRule(service, req.body) };
    await service.updateRules((rules) => {
      if (rules.some((r) => r.id === id)) {
        throw new AppError('conflict', `A rule "${id}" exists already; PUT /api/rules/${id} replaces it.`);
      }
      roomFor(rules);
      return { rules: [...rules, rule], result: undefined };
    });
    res.status(201).json({ rule });
  });

  router.put('/api/rules/:id', admin, async (req, res) => {
    const id = parseId(req.params.id, 'id');
    const rule: Rule = { id, ...parseRule(service, req.body) };
    const existed = await service.updateRules((rules) => {
      const exists = rules.some((r) => r.id === id);
      if (!exists) roomFor(rules);
      return { rules: exists ? rules.map((r) => (r.id === id ? rule : r)) : [...rules, rule], result: exists };
    });
    res.status(existed ? 200 : 201).json({ rule });
  });

  router.delete('/api/rules/:id', admin, async (req, res) => {
    const id = parseId(req.params.id, 'id');
    await service.updateRules((rules) => {
      if (!rules.some((r) => r.id === id)) throw new AppError('not_found', `There is no rule "${id}".`);
      return { rules: rules.filter((r) => r.id !== id), result: undefined };
    });
    res.status(204).end();
  });

  return router;
}
