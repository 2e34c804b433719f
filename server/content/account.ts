// The official account's profile and bottom menu, read from data/account.json.
import { z } from 'zod';
import type { Account } from '../contract.ts';
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
