// Loads everything the bot answers from, as the configuration names it.
import type { Content } from '../app.ts';
import type { Config } from '../config.ts';
import { checkMenuSections, loadAccount } from './account.ts';
import { loadArticle } from './article.ts';
import { loadSeedRules } from './rules.ts';

/** Reads the article, the account and the seed rules; throws a ContentError naming what is wrong. */
export function loadContent(config: Pick<Config, 'accountFile' | 'contentFile' | 'rulesFile'>): Content {
  const content = {
    account: loadAccount(config.accountFile),
    article: loadArticle(config.contentFile),
    seedRules: loadSeedRules(config.rulesFile),
  };
  checkMenuSections(content.account, content.article, config.accountFile);
  return content;
}
