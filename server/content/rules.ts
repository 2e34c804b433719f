// Keyword rules as data, shaped like the official-account platform's keyword replies.
import { z } from 'zod';
import { isSafeLink, LINK_RULE } from '../links.ts';
import { idSchema } from '../schemas.ts';
import { loadJsonFile } from './json-file.ts';

const link = z.string().min(1).max(1024).refine(isSafeLink, { error: LINK_RULE });

// A news card, as the contract's Article type describes it.
const cardSchema = z.object({
  title: z.string().min(1).max(200),
  description: z.string().max(1000).default(''),
  url: link,
  picUrl: link.optional(),
  sectionId: idSchema.optional(),
});

export const ruleReplySchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('text'), text: z.string().trim().min(1).max(2000) }),
  z.object({ type: z.literal('news'), articles: z.array(cardSchema).min(1).max(8) }),
  // A section of the article, sent the way the engine sends sections (see bot/replies.ts).
  z.object({ type: z.literal('section'), sectionId: idSchema }),
]);

export const keywordSchema = z.object({
  text: z.string().trim().min(1).max(60),
  match: z.enum(['equal', 'contain']),
});

/** A rule as clients create or replace it (the id comes from the URL or the server). */
export const ruleInputSchema = z.object({
  name: z.string().trim().min(1).max(60),
  keywords: z.array(keywordSchema).min(1).max(50),
  replies: z.array(ruleReplySchema).min(1).max(5),
  replyMode: z.enum(['all', 'random']).default('all'),
});

export const ruleSchema = ruleInputSchema.extend({ id: idSchema });

export type RuleReply = z.infer<typeof ruleReplySchema>;
export type RuleInput = z.infer<typeof ruleInputSchema>;
export type Rule = z.infer<typeof ruleSchema>;

/** Reads the seed rules file. */
export function loadSeedRules(file: string): Rule[] {
  return loadJsonFile(file, z.array(ruleSchema));
}
