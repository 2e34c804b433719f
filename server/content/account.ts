// The official account's profile and bottom menu, read from data/account.json; in front of a target, the
// profile of the server under test instead (its menu is its own, made with menu/create).
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

/** What the window calls a server under test that was given no name: neutral, never the article bot's. */
const DEFAULT_TARGET_NAME = 'Test account';

// The server under test makes its own menu (menu/create), so its account file has none.
const targetAccountSchema = accountSchema
  .omit({ menu: true })
  .extend({ name: accountSchema.shape.name.optional(), menu: z.never({ error: 'no menu here: the server under test creates its own with menu/create' }).optional() });

/** The account of the server under test: --name and --avatar over its account file, over a neutral default (whose avatar is its initial). */
/** Who the server under test is in the chat window (--name, --avatar, TARGET_ACCOUNT_FILE); never the article bot. */
export type TargetAccountSettings = {
  name?: string;
  avatarUrl?: string;
  /** A file like data/account.json with the name, description and avatar (no menu: the server makes its own). */
  accountFile?: string;
};

export function targetAccount(settings: TargetAccountSettings): Account {
  const file = settings.accountFile ? loadJsonFile(settings.accountFile, targetAccountSchema) : undefined;
  return {
    name: settings.name ?? file?.name ?? DEFAULT_TARGET_NAME,
    description: file?.description ?? '',
    avatarUrl: settings.avatarUrl ?? file?.avatarUrl,
    menu: [],
  };
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
