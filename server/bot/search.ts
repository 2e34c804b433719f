// Full-text search over the article's sections (MiniSearch), with CJK text split by Intl.Segmenter.
import MiniSearch, { type Query, type SearchOptions } from 'minisearch';
import type { Section } from '../content/article.ts';
import { COMMON_WORDS } from './common-words.ts';

/**
 * A section that matched: `coverage` is the share of the message's words it matched (1: all of them);
 * `distinctive` says whether one of those is more than everyday conversation ("Haidilao", not "good").
 */
export type SearchHit = { sectionId: string; score: number; coverage: number; distinctive: boolean };

const segmenter = new Intl.Segmenter('zh', { granularity: 'word' });

// Words that say nothing about which section is meant: function words, number words (a section is asked
// for by its digit, and "two main reasons" is no topic) and chat filler. They would only add noise to scores.
const STOPWORDS = new Set(
  (
    'a an and are as at be but by can could did do does for from had has have he her his how i in ' +
    'into is it its me more my of on or our she so some tell than that the their them then there ' +
    'these they this to us was we what when where which who whom why will with would you your about ' +
    'please know want show give any anything something read article section ' +
    'no not nor only own same very just now up down out off over under again once here also all both each ' +
    'few most other such too been being were am if else because while until through during before after ' +
    "i'm it's what's that's there's let's don't doesn't isn't " +
    'one two three four five six seven eight nine ten ' +
    '的 了 是 在 吗 呢 吧 啊 我 你 他 她 它 们 这 那 什么 怎么 为什么 有 和 与 也 就 都 请 想 知道 关于 一下'
  ).split(' '),
);

/** Splits text into words: Intl.Segmenter handles both spaced scripts and Chinese. */
export function tokenize(text: string): string[] {
  const words: string[] = [];
  for (const { segment, isWordLike } of segmenter.segment(text)) if (isWordLike) words.push(segment);
  return words;
}

function processTerm(term: string): string | null {
  const word = term.normalize('NFKC').toLowerCase().replace(/’/g, "'");
  if (STOPWORDS.has(word)) return null;
  // Single Latin letters and digits carry no meaning; single CJK characters often do (钱, 游).
  if (word.length < 2 && /[\p{Script=Latin}\p{N}]/u.test(word)) return null;
  return word;
}

/** The words of a message that count, as the index sees them. */
function termsOf(text: string): string[] {
  return tokenize(text).flatMap((word) => processTerm(word) ?? []);
}

const prefix = (term: string) => term.length >= 4;
// Typo tolerance grows with word length: none for short words, where it would mostly mislead.
const fuzzy = (term: string) => (term.length >= 5 ? 0.3 : term.length === 4 ? 0.25 : false);

/**
 * Typos are forgiven in titles and keywords, the words people look for, but not in the body: among its
 * thousand words a near miss is nearly always another word ("price" ~ "place", "rain" ~ "main").
 */
const querying = (terms: string[]): Query => {
  // The message is split once, here: MiniSearch would split it again for each part of the query.
  const words = terms.join(' ');
  return {
    combineWith: 'OR',
    tokenize: (text) => text.split(' '),
    processTerm: (term) => term,
    queries: [
      { queries: [words], fields: ['text'], fuzzy: false },
      { queries: [words], fields: ['title', 'keywords'], fuzzy },
    ],
  };
};

/** A search index over sections; `search` returns hits best first. */
export class SectionSearch {
  private readonly index: MiniSearch<Section>;
  /** Everyday words, less those this article names its sections by ("business", "game" stay topics). */
  private readonly everyday: ReadonlySet<string>;

  constructor(sections: Section[]) {
    const topics = new Set(sections.flatMap((s) => termsOf([s.title, ...s.keywords].join(' '))));
    this.everyday = new Set([...COMMON_WORDS].filter((word) => !topics.has(word)));
    const searchOptions: SearchOptions = { boost: { keywords: 3, title: 2 }, maxFuzzy: 2, prefix, combineWith: 'OR' };
    this.index = new MiniSearch<Section>({
      fields: ['title', 'keywords', 'text'],
      extractField: (section, field) => {
        const value = section[field as keyof Section];
        return Array.isArray(value) ? value.join(' ') : String(value);
      },
      tokenize,
      processTerm,
      searchOptions,
    });
    this.index.addAll(sections);
  }

  search(query: string): SearchHit[] {
    const terms = termsOf(query);
    const words = new Set(terms).size;
    return this.index.search(querying(terms)).map((r) => ({
      sectionId: String(r.id),
      score: r.score,
      coverage: r.queryTerms.length / words,
      distinctive: r.queryTerms.some((term) => !this.everyday.has(term)),
    }));
  }
}
