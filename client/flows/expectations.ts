// Checks a bot message against a #bot step: Botium's default matching and the supported asserters.
import type { StoredMessage } from '../../server/contract.ts';
import type { Asserter, Source, Step, Utterances } from './flow.ts';

export type Mismatch = { what: string; expected: string; actual: string; at: Source };

/** The text a bot message shows, and the titles of its cards. */
export function describeMessage(message: StoredMessage): { text: string; cards: string[] } {
  if (message.type === 'text') return { text: message.text, cards: [] };
  if (message.type === 'news') return { text: '', cards: message.articles.map((a) => a.title) };
  return { text: '', cards: [] };
}

/** How a message reads in a failure report. */
export function showMessage(message: StoredMessage | undefined): string {
  if (!message) return '(no message)';
  const { text, cards } = describeMessage(message);
  return cards.length ? `news: ${cards.map((c) => `[${c}]`).join(' ')}` : text;
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Botium's default matching: the pattern appears in the text, `*` standing for anything, any case. */
export function wildcardMatch(pattern: string, text: string): boolean {
  const source = escapeRegExp(pattern).replace(/\\\*/g, '(.*)');
  return new RegExp(source, 'i').test(text);
}

function countMatches(arg: string | undefined, count: number): boolean {
  const match = /^(>=|<=|>|<|=)?\s*(\d+)$/.exec(arg?.trim() ?? '>0');
  if (!match) return false;
  const n = Number(match[2]);
  switch (match[1]) {
    case '>':
      return count > n;
    case '>=':
      return count >= n;
    case '<':
      return count < n;
    case '<=':
      return count <= n;
    default:
      return count === n;
  }
}

function assertOne(asserter: Asserter, message: StoredMessage): Mismatch | undefined {
  const { text, cards } = describeMessage(message);
  const ic = asserter.name.endsWith('_IC');
  const fold = (s: string) => (ic ? s.toLowerCase() : s);
  const args = asserter.args;
  let ok: boolean;
  switch (asserter.name.replace(/_IC$/, '')) {
    case 'TEXT_CONTAINS_ANY':
      ok = asserter.not ? !args.some((a) => fold(text).includes(fold(a))) : args.some((a) => fold(text).includes(fold(a)));
      break;
    case 'TEXT_CONTAINS_ALL':
      ok = asserter.not ? !args.some((a) => fold(text).includes(fold(a))) : args.every((a) => fold(text).includes(fold(a)));
      break;
    case 'TEXT_REGEXP_ANY': {
      const found = args.some((a) => new RegExp(a, ic ? 'i' : '').test(text));
      ok = asserter.not ? !found : found;
      break;
    }
    case 'TEXT_EQUALS': {
      const found = args.some((a) => fold(text) === fold(a));
      ok = asserter.not ? !found : found;
      break;
    }
    case 'CARDS': {
      const found = args.map((a) => cards.some((title) => wildcardMatch(a, title)));
      ok = asserter.not ? !found.some(Boolean) : found.every(Boolean);
      break;
    }
    case 'CARDS_COUNT': {
      const found = countMatches(args[0], cards.length);
      ok = asserter.not ? !found : found;
      break;
    }
    default:
      ok = false;
  }
  if (ok) return undefined;
  const what = `${asserter.not ? '!' : ''}${asserter.name}`;
  const expected = `${what} ${args.join('|')}`.trim();
  return { what, expected, actual: showMessage(message), at: asserter.at };
}

/** Why `message` does not satisfy the expectation, or undefined when it does. */
export function check(step: Extract<Step, { kind: 'expect' }>, message: StoredMessage, utterances: Map<string, Utterances>): Mismatch | undefined {
  if (step.text) {
    const { pattern, not } = step.text;
    const { text } = describeMessage(message);
    // A #bot line that names an utterance list accepts any of its phrasings, as in Botium.
    const candidates = utterances.get(pattern)?.phrasings ?? [pattern];
    const found = candidates.some((c) => wildcardMatch(c, text));
    if (found === not) {
      return { what: not ? 'text (must not match)' : 'text', expected: `${not ? '!' : ''}${pattern}`, actual: showMessage(message), at: step.text.at };
    }
  }
  for (const asserter of step.asserters) {
    const mismatch = assertOne(asserter, message);
    if (mismatch) return mismatch;
  }
  return undefined;
}
