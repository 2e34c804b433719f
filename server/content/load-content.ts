// Loads everything the bot answers from, as the configuration names it.
import type { Content } from '../app/app.ts';
import type { Config } from '../config.ts';
import { checkMenuSections, loadAccount, targetAccount } from './account.ts';
import { loadArticle } from './article.ts';
import { loadSeedRules } from './rules.ts';

/**
 * Reads the article, the account and the seed rules; throws a ContentError naming what is wrong. In front of
 * a target the account is the server under test's (config.targetAccount), not the article bot's.
 */
export function loadContent(config: Pick<Config, 'accountFile' | 'contentFile' | 'rulesFile' | 'targetAccount'>): Content {
  const article = loadArticle(config.contentFile);
  const seedRules = loadSeedRules(config.rulesFile);
  if (config.targetAccount) return { account: targetAccount(config.targetAccount), article, seedRules };
  const account = loadAccount(config.accountFile);
  checkMenuSections(account, article, config.accountFile);
  return { account, article, seedRules };
}
