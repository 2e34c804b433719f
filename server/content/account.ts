// The official account's profile and bottom menu, read from data/account.json.
import { z } from 'zod';
import type { Account } from '../contract.ts';
import type { ArticleContent } from './article.ts';
import { ContentError } from './content-error.ts';
import { loadJsonFile } from './json-file.ts';

const item = z
  .object({
    name: z.string().trim().min(1).max(60),
    key: z.string().min(1).max(128).optional(),
    url: z.string().min(1).max(1024).optional(),
  })
  .refine((i) => Boolean(i.key) !== Boolean(i.url), { error: 'a button has either a "key" or a "url"' });

const button = z.union([
  item,
  z.object({
    name: z.string().trim().min(1).max(60),
    sub: z.array(item).min(1).max(5, { error: 'at most 5 sub-buttons, as in WeChat' }),
  }),
]);

export const accountSchema = z.object({
  name: z.string().trim().min(1).max(64),
  description: z.string().max(500).default(''),
  avatarUrl: z.string().min(1).max(1024).optional(),
  menu: z.array(button).max(3, { error: 'at most 3 menu buttons, as in WeChat' }).default([]),
});

/** Reads and validates the account file. */
export function loadAccount(file: string): Account {
  return loadJsonFile(file, accountSchema) as Account;
}

/** Checks that every "section:<id>" menu key names a section of the article, so no button is dead. */
export function checkMenuSections(account: Account, article: ArticleContent, file: string): void {
  const ids = new Set(article.sections.map((s) => s.id));
  account.menu.forEach((button, i) => {
    (button.sub ?? [button]).forEach((item, j) => {
      const id = item.key?.startsWith('section:') ? item.key.slice('section:'.length) : undefined;
      if (id !== undefined && !ids.has(id)) {
        const where = button.sub ? `menu.${i}.sub.${j}.key` : `menu.${i}.key`;
        throw new ContentError(file, undefined, `${where}: the article has no section "${id}"`);
      }
    });
  });
}
