// Loads everything the bot answers from, from the files the configuration names.
import type { Account } from '../contract.ts';
import { checkMenuSections, loadAccount, targetAccount, type TargetAccountSettings } from './account.ts';
import { loadArticle, type ArticleContent } from './article.ts';
import { loadSeedRules, type Rule } from './rules.ts';

/** What the bot answers from: the account it plays, the article, and the keyword rules a new store starts with. */
export type Content = { account: Account; article: ArticleContent; seedRules: Rule[] };

export type ContentFiles = {
  contentFile: string;
  accountFile: string;
  rulesFile: string;
  /** In front of a target: the server under test's account, in place of accountFile's. */
  targetAccount?: TargetAccountSettings;
};

/** Reads the article, the account and the seed rules; throws a ContentError naming what is wrong. */
export function loadContent(files: ContentFiles): Content {
  const article = loadArticle(files.contentFile);
  const seedRules = loadSeedRules(files.rulesFile);
  if (files.targetAccount) return { account: targetAccount(files.targetAccount), article, seedRules };
  const account = loadAccount(files.accountFile);
  checkMenuSections(account, article, files.accountFile);
  return { account, article, seedRules };
}
