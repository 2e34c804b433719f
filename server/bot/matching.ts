// Keyword rule matching: an exact ("equal") keyword beats a contained one; among contained, the longest wins.
import type { Rule } from '../content/rules.ts';
import { bare, containsKeyword, normalize } from './text.ts';

export type RuleMatch = { rule: Rule; keyword: string; match: 'equal' | 'contain' };

/** The rule that answers `text`, if any. */
export function matchRule(rules: Rule[], text: string): RuleMatch | undefined {
  const whole = bare(text);
  const normal = normalize(text);
  let best: RuleMatch | undefined;
  for (const rule of rules) {
    for (const { text: keywordText, match } of rule.keywords) {
      const keyword = normalize(keywordText);
      if (keyword === whole || keyword === normal) return { rule, keyword: keywordText, match: 'equal' };
      if (match === 'contain' && containsKeyword(normal, keyword)) {
        if (!best || keyword.length > normalize(best.keyword).length) best = { rule, keyword: keywordText, match };
      }
    }
  }
  return best;
}
