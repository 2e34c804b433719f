// The knowledge base the engine answers from: account, article, rules, and what is derived from them.
import type { Account } from '../contract.ts';
import type { ArticleContent, Section } from '../content/article.ts';
import type { Rule } from '../content/rules.ts';
import { buildRuleIndex, type RuleIndex } from './matching.ts';
import { byteLength, MAX_TEXT_BYTES, splitIntoPages } from './paging.ts';
import { SectionSearch } from './search.ts';

export type Knowledge = {
  account: Account;
  article: ArticleContent;
  /** The keyword rules from the store, tried before the section rules. */
  rules: Rule[];
  /** One rule per section, built from its "Keywords:" line. */
  sectionRules: Rule[];
  /** Both kinds of rules, indexed for matching: stored rules first. */
  ruleIndex: RuleIndex;
  search: SectionSearch;
  /** Each section's text split into pages that fit one message with their header and footer. */
  pages: Map<string, string[]>;
};

/** Room kept on every page for the header and the "(2/3) Reply more…" footer. */
const PAGE_FOOTER_RESERVE = 120;

export function sectionHeader(section: Section): string {
  return `${section.number}. ${section.title}`;
}

/** The rule a section's "Keywords:" line stands for: any of them, contained in a message, opens it. */
function sectionRule(section: Section): Rule {
  return {
    id: `section-${section.id}`,
    name: `Section: ${section.title}`,
    keywords: section.keywords.map((text) => ({ text, match: 'contain' as const })),
    replies: [{ type: 'section', sectionId: section.id }],
    replyMode: 'all',
  };
}

/** Builds the knowledge base; call again (cheaply, via `withRules`) when the stored rules change. */
export function buildKnowledge(input: { account: Account; article: ArticleContent; rules: Rule[] }): Knowledge {
  const pages = new Map<string, string[]>();
  for (const section of input.article.sections) {
    const budget = MAX_TEXT_BYTES - byteLength(sectionHeader(section)) - PAGE_FOOTER_RESERVE;
    pages.set(section.id, splitIntoPages(section.text, Math.max(budget, 256)));
  }
  const sectionRules = input.article.sections.filter((s) => s.keywords.length).map(sectionRule);
  return {
    account: input.account,
    article: input.article,
    rules: input.rules,
    sectionRules,
    ruleIndex: buildRuleIndex([...input.rules, ...sectionRules]),
    search: new SectionSearch(input.article.sections),
    pages,
  };
}

/** The same knowledge with a new set of stored rules. */
export function withRules(knowledge: Knowledge, rules: Rule[]): Knowledge {
  return { ...knowledge, rules, ruleIndex: buildRuleIndex([...rules, ...knowledge.sectionRules]) };
}
