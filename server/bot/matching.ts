// Keyword rule matching: an exact ("equal") keyword beats a contained one; among contained, the longest
// wins; on a tie, the earlier rule. An index built once per rule set keeps a message's cost independent
// of how many rules there are: a map for exact keywords, an Aho–Corasick automaton for contained ones.
import AhoCorasick from 'modern-ahocorasick';
import type { Rule } from '../content/rules.ts';
import { bareOf, normalize, standsAsWord } from './text.ts';

export type RuleMatch = { rule: Rule; keyword: string; match: 'equal' | 'contain' };

type Entry = { order: number; rule: Rule; keyword: string };

export type RuleIndex = {
  /** Every keyword, either mode, by its normalised form: the whole message equal to it. */
  equal: Map<string, Entry>;
  /** Contain-mode keywords, found anywhere in a message in one pass. */
  contain?: AhoCorasick<Entry>;
};

/** Indexes rules in priority order (earlier rules win ties). */
export function buildRuleIndex(rules: Rule[]): RuleIndex {
  const equal = new Map<string, Entry>();
  const patterns: Array<{ pattern: string; data: Entry }> = [];
  rules.forEach((rule, order) => {
    for (const { text, match } of rule.keywords) {
      const keyword = normalize(text);
      if (!keyword) continue;
      const entry = { order, rule, keyword: text };
      if (!equal.has(keyword)) equal.set(keyword, entry);
      if (match === 'contain') patterns.push({ pattern: keyword, data: entry });
    }
  });
  return { equal, contain: patterns.length ? new AhoCorasick(patterns) : undefined };
}

/** The rule that answers `text`, if any. */
export function matchRule(index: RuleIndex, text: string): RuleMatch | undefined {
  const normal = normalize(text);
  const exact = [index.equal.get(bareOf(normal)), index.equal.get(normal)]
    .filter((e): e is Entry => e !== undefined)
    .sort((a, b) => a.order - b.order)[0];
  if (exact) return { rule: exact.rule, keyword: exact.keyword, match: 'equal' };
  let best: (Entry & { length: number }) | undefined;
  for (const found of index.contain?.search(normal) ?? []) {
    const entry = found.data!;
    if (!standsAsWord(normal, found.start, found.pattern)) continue;
    const length = found.pattern.length;
    if (!best || length > best.length || (length === best.length && entry.order < best.order)) best = { ...entry, length };
  }
  return best && { rule: best.rule, keyword: best.keyword, match: 'contain' };
}
