// How well the bot tells what a message is about, measured on held-out phrasings (test/search-phrasings.json):
// unrelated messages should get no section, on-topic ones their section. Prints the table, asserts floors.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { respond } from '../server/bot/engine.ts';
import { buildKnowledge } from '../server/bot/knowledge.ts';
import type { Outbound } from '../server/contract.ts';
import { NEW_SESSION } from '../server/session.ts';
import { seedContent } from './helpers.ts';

type Phrasings = { unrelated: string[]; onTopic: Record<string, string[]> };
const phrasings: Phrasings = JSON.parse(readFileSync(path.join(import.meta.dirname, 'search-phrasings.json'), 'utf8'));

// Floors: precision as the task sets it; recall as measured before the search learned to say "not about this".
const MIN_PRECISION = 0.95;
const MIN_RECALL = 0.88;

const { account, article, seedRules } = seedContent();
const kb = buildKnowledge({ account, article, rules: seedRules });

/** What a reply points the user at: one section, a few suggested ones, or none. */
type Answer = { section: string } | { suggested: string[] } | 'none';

function answerOf(replies: Outbound[]): Answer {
  const [reply] = replies;
  if (reply?.type === 'news' && reply.articles[0]?.sectionId) return { section: reply.articles[0].sectionId };
  if (reply?.type !== 'text') return 'none';
  const page = kb.article.sections.find((s) => reply.text.startsWith(`${s.number}. ${s.title}\n\n`));
  if (page) return { section: page.id };
  if (!/closest sections/.test(reply.text)) return 'none';
  const numbers = [...reply.text.matchAll(/^(\d+)\. /gm)].map((m) => Number(m[1]));
  return { suggested: numbers.map((n) => kb.article.sections[n - 1]!.id) };
}

const ask = (text: string): Answer => answerOf(respond(kb, NEW_SESSION, { type: 'text', text }, { now: new Date(0), random: () => 0 }).replies);
const describeAnswer = (a: Answer): string => (a === 'none' ? 'no section' : 'section' in a ? a.section : `closest: ${a.suggested.join(', ')}`);
const ratio = (part: number, whole: number) => (whole ? part / whole : 1);

describe('search quality on held-out phrasings', () => {
  it(`gives unrelated messages no section (precision ≥ ${MIN_PRECISION}) and finds on-topic ones (recall ≥ ${MIN_RECALL})`, () => {
    const unrelated = phrasings.unrelated.map((text) => ({ text, answer: ask(text) }));
    const wronglyAnswered = unrelated.filter((u) => u.answer !== 'none');
    const onTopic = Object.entries(phrasings.onTopic).flatMap(([expected, texts]) => texts.map((text) => ({ text, expected, answer: ask(text) })));
    const found = onTopic.filter((o) => o.answer !== 'none' && 'section' in o.answer && o.answer.section === o.expected);
    const suggested = onTopic.filter((o) => o.answer !== 'none' && 'suggested' in o.answer && o.answer.suggested.includes(o.expected));
    const precision = ratio(unrelated.length - wronglyAnswered.length, unrelated.length);
    const recall = ratio(found.length, onTopic.length);

    const rows = [
      ['unrelated → no section (precision)', unrelated.length - wronglyAnswered.length, unrelated.length, precision],
      ['on topic → its section (recall)', found.length, onTopic.length, recall],
      ['on topic → among the suggestions', suggested.length, onTopic.length, ratio(suggested.length, onTopic.length)],
    ] as const;
    const lines = rows.map(([name, part, whole, rate]) => `  | ${name.padEnd(36)} | ${`${part}/${whole}`.padStart(6)} | ${rate.toFixed(3)} |`);
    const misses = [
      ...wronglyAnswered.map((u) => `  unrelated "${u.text}" → ${describeAnswer(u.answer)}`),
      ...onTopic.filter((o) => !found.includes(o)).map((o) => `  ${o.expected}: "${o.text}" → ${describeAnswer(o.answer)}`),
    ];
    console.log(['', '  | measure                              | count  | rate  |', ...lines, ...misses, ''].join('\n'));

    expect(precision, 'precision').to.be.at.least(MIN_PRECISION);
    expect(recall, 'recall').to.be.at.least(MIN_RECALL);
  });
});
