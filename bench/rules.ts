// Keyword matching time per message against 10 … 10 000 rules, in process.
import { buildRuleIndex, matchRule } from '../server/bot/matching.ts';
import type { Rule } from '../server/content/rules.ts';

function rulesOf(count: number): Rule[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `r${i}`,
    name: `Rule ${i}`,
    keywords: [
      { text: `topic${i}`, match: 'contain' as const },
      { text: `exact phrase ${i}`, match: 'equal' as const },
      { text: `话题${i}`, match: 'contain' as const },
    ],
    replies: [{ type: 'text' as const, text: `Reply ${i}` }],
    replyMode: 'all' as const,
  }));
}

/** The median time, in microseconds, to match one message against `count` rules. */
export function measureRules(count: number, rounds: number): number {
  const index = buildRuleIndex(rulesOf(count));
  const messages = [
    `tell me about topic${count - 1} please`,
    `exact phrase ${Math.floor(count / 2)}`,
    `我想了解话题${Math.floor(count / 3)}`,
    'nothing matches this message at all, however long it goes on',
    'payment',
  ];
  // Warm up first, so the JIT has compiled the matcher before any sample is taken.
  for (let r = 0; r < rounds; r++) for (const text of messages) matchRule(index, text);
  const samples: number[] = [];
  for (let r = 0; r < rounds; r++) {
    for (const text of messages) {
      const started = process.hrtime.bigint();
      matchRule(index, text);
      samples.push(Number(process.hrtime.bigint() - started) / 1000);
    }
  }
  samples.sort((a, b) => a - b);
  return Math.round(samples[Math.floor(samples.length / 2)]! * 10) / 10;
}
