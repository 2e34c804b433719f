// Full-text search over the article's sections (MiniSearch), with CJK text split by Intl.Segmenter.
import MiniSearch from 'minisearch';
import type { Section } from '../content/article.ts';

export type SearchHit = { sectionId: string; score: number };

const segmenter = new Intl.Segmenter('zh', { granularity: 'word' });

// Words that say nothing about which section is meant; they would only add noise to scores.
const STOPWORDS = new Set(
  (
    'a an and are as at be but by can could did do does for from had has have he her his how i in ' +
    'into is it its me more my of on or our she so some tell than that the their them then there ' +
    'these they this to us was we what when where which who whom why will with would you your about ' +
    'please know want show give any anything something read article section ' +
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
  const word = term.normalize('NFKC').toLowerCase();
  if (STOPWORDS.has(word)) return null;
  // Single Latin letters and digits carry no meaning; single CJK characters often do (钱, 游).
  if (word.length < 2 && /[\p{Script=Latin}\p{N}]/u.test(word)) return null;
  return word;
}

// A typo-tolerant search that finds nothing walks much of the index, and people repeat themselves (the same
// question, the same miss): the index never changes, so recent answers are kept, a bounded number of them.
const REMEMBERED_QUERIES = 1000;

/** A search index over sections; `search` returns hits best first. */
export class SectionSearch {
  private readonly index: MiniSearch<Section>;
  private readonly recent = new Map<string, readonly SearchHit[]>();

  constructor(sections: Section[]) {
    this.index = new MiniSearch<Section>({
      fields: ['title', 'keywords', 'text'],
      extractField: (section, field) => {
        const value = section[field as keyof Section];
        return Array.isArray(value) ? value.join(' ') : String(value);
      },
      tokenize,
      processTerm,
      searchOptions: {
        boost: { keywords: 3, title: 2 },
        // Typo tolerance grows with word length: none for short words, where it would mostly mislead.
        fuzzy: (term) => (term.length >= 5 ? 0.3 : term.length === 4 ? 0.25 : false),
        maxFuzzy: 2,
        prefix: (term) => term.length >= 4,
        combineWith: 'OR',
      },
    });
    this.index.addAll(sections);
  }

  search(query: string): readonly SearchHit[] {
    let hits = this.recent.get(query);
    if (hits) {
      this.recent.delete(query); // most recently used last, so the oldest is the first to go
    } else {
      hits = Object.freeze(this.index.search(query).map((r) => Object.freeze({ sectionId: String(r.id), score: r.score })));
      if (this.recent.size >= REMEMBERED_QUERIES) this.recent.delete(this.recent.keys().next().value!);
    }
    this.recent.set(query, hits);
    return hits;
  }
}
