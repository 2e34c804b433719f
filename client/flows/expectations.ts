// Checks a bot message against a #bot step: Botium's default matching and the supported asserters.
import type { StoredMessage } from '../../server/contract.ts';
import type { Asserter, Source, Step, Utterances } from './flow.ts';

export type Mismatch = { what: string; expected: string; actual: string; at: Source };

/** What Botium's asserters look at in a message: its text, card titles, button texts, and media (urls and ids). */
export type Described = { text: string; cards: string[]; buttons: string[]; media: string[] };

const PLACEHOLDER = /\{\{\s*([A-Za-z0-9_]+)\.DATA\s*\}\}/g;

/** A template's text as the card shows it: its content filled in, or its fields as "key: value" lines. */
function templateText(message: Extract<StoredMessage, { type: 'template' }>): string {
  if (message.content) return message.content.replace(PLACEHOLDER, (_, key: string) => message.data[key]?.value ?? '');
  return Object.entries(message.data)
    .map(([key, field]) => `${key}: ${field.value}`)
    .join('\n');
}

/** The parts of a message of any type that flows can check. */
export function describeMessage(message: StoredMessage): Described {
  const none: Described = { text: '', cards: [], buttons: [], media: [] };
  switch (message.type) {
    case 'text':
      return { ...none, text: message.text };
    case 'news':
      return { ...none, cards: message.articles.map((a) => a.title), media: message.articles.flatMap((a) => (a.picUrl ? [a.picUrl] : [])) };
    case 'image':
    case 'voice':
    case 'video': {
      const text = 'title' in message ? [message.title, message.description].filter(Boolean).join('\n') : '';
      return { ...none, text, media: [message.url, ...(message.mediaId ? [message.mediaId] : [])].filter(Boolean) };
    }
    case 'template':
      return { ...none, text: templateText(message), cards: [message.title ?? message.templateId] };
    case 'options':
      return { ...none, text: [message.head, message.tail].filter(Boolean).join('\n'), buttons: message.items.map((i) => i.text) };
    default:
      return none; // the user's events
  }
}

// A bare http(s) URL in a text is a link, as the chat window finds it (client/src/message-view.ts).
const BARE_URL = /https?:\/\/[^\s<>"'\u3000-\u303f\uff00-\uffef]+/;

/** The web page a tap on the message opens: a news message's first card, a template card's link, a text's first URL. */
export function linkOf(message: StoredMessage | undefined): string | undefined {
  if (!message) return undefined;
  const link = message.type === 'news' ? message.articles[0]?.url : message.type === 'template' ? message.url : BARE_URL.exec(describeMessage(message).text)?.[0].replace(/[.,;:!?)\]]+$/, '');
  return link && /^https?:\/\//i.test(link) ? link : undefined;
}

/** How a message reads in a failure report. */
export function showMessage(message: StoredMessage | undefined): string {
  if (!message) return '(no message)';
  const { text, cards, buttons } = describeMessage(message);
  const list = (items: string[]) => items.map((c) => `[${c}]`).join(' ');
  switch (message.type) {
    case 'news':
      return `news: ${list(cards)}`;
    case 'image':
      return `image: ${message.url}`;
    case 'voice':
    case 'video':
      return `${message.type}: ${message.url || '(nothing to play)'}${message.title ? ` "${message.title}"` : ''}`;
    case 'template':
      return `template ${list(cards)}: ${text.replace(/\n+/g, ' / ')}`;
    case 'options':
      return `options: ${[message.head, list(buttons), message.tail].filter(Boolean).join(' ')}`;
    default:
      return text;
  }
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

/** Botium's MEDIA, BUTTONS and CARDS: every argument matches one of `found` (`!`: none does); no argument: there is one. */
function matchesAll(args: string[], found: string[], not: boolean): boolean {
  if (args.length === 0) return not ? found.length === 0 : found.length > 0;
  const matched = args.map((a) => found.some((f) => wildcardMatch(a, f)));
  return not ? !matched.some(Boolean) : matched.every(Boolean);
}

/** What an expectation is checked against: a message's or a page's parts, how it reads in a report, and its media count. */
type Subject = { parts: Described; shown: string; mediaCount: number };

function assertOne(asserter: Asserter, { parts, shown, mediaCount }: Subject): Mismatch | undefined {
  const { text, cards, buttons } = parts;
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
    case 'CARDS':
      ok = matchesAll(args, cards, asserter.not);
      break;
    case 'BUTTONS':
      ok = matchesAll(args, buttons, asserter.not);
      break;
    case 'MEDIA':
      // A media file counts once, whether the flow names it by url or by id.
      ok = matchesAll(args, parts.media, asserter.not);
      break;
    case 'CARDS_COUNT':
    case 'BUTTONS_COUNT':
    case 'MEDIA_COUNT': {
      const kind = asserter.name.replace(/_COUNT$/, '');
      const count = kind === 'CARDS' ? cards.length : kind === 'BUTTONS' ? buttons.length : mediaCount;
      const found = countMatches(args[0], count);
      ok = asserter.not ? !found : found;
      break;
    }
    default:
      ok = false;
  }
  if (ok) return undefined;
  const what = `${asserter.not ? '!' : ''}${asserter.name}`;
  const expected = `${what} ${args.join('|')}`.trim();
  return { what, expected, actual: shown, at: asserter.at };
}

function checkSubject(step: Extract<Step, { kind: 'expect' }>, subject: Subject, utterances: Map<string, Utterances>, what: string): Mismatch | undefined {
  if (step.text) {
    const { pattern, not } = step.text;
    // A #bot line that names an utterance list accepts any of its phrasings, as in Botium.
    const candidates = utterances.get(pattern)?.phrasings ?? [pattern];
    const found = candidates.some((c) => wildcardMatch(c, subject.parts.text));
    if (found === not) {
      return { what: not ? `${what} (must not match)` : what, expected: `${not ? '!' : ''}${pattern}`, actual: subject.shown, at: step.text.at };
    }
  }
  for (const asserter of step.asserters) {
    const mismatch = assertOne(asserter, subject);
    if (mismatch) return mismatch;
  }
  return undefined;
}

/** Why `message` does not satisfy the expectation, or undefined when it does. */
export function check(step: Extract<Step, { kind: 'expect' }>, message: StoredMessage, utterances: Map<string, Utterances>): Mismatch | undefined {
  const parts = describeMessage(message);
  // A news message counts each cover; any other a media file once, whether it is named by url or by id.
  const mediaCount = message.type === 'news' ? parts.media.length : Math.min(parts.media.length, 1);
  return checkSubject(step, { parts, shown: showMessage(message), mediaCount }, utterances, 'text');
}

/** A page as the in-app browser shows it: its original address and its visible text. */
export type PageText = { url: string; text: string };

/** Past this length a page's text in a report is cut: enough to see which page it is and where it went wrong. */
export const PAGE_TEXT_SHOWN = 500;

/** How a page reads in a failure report: its address, then its text on one line, cut to PAGE_TEXT_SHOWN characters. */
export function showPage({ url, text }: PageText): string {
  const flat = text.split('\n').map((line) => line.trim()).filter(Boolean).join(' / ');
  const cut = flat.length > PAGE_TEXT_SHOWN ? `${flat.slice(0, PAGE_TEXT_SHOWN)}… (${flat.length - PAGE_TEXT_SHOWN} more characters)` : flat;
  return `page ${url}: ${cut || '(no text)'}`;
}

/** Why a page's visible text does not satisfy a #bot step (its text lines and TEXT_* asserters), or undefined when it does. */
export function checkPage(step: Extract<Step, { kind: 'expect' }>, page: PageText, utterances: Map<string, Utterances>): Mismatch | undefined {
  const parts = { text: page.text, cards: [], buttons: [], media: [] };
  return checkSubject(step, { parts, shown: showPage(page), mediaCount: 0 }, utterances, 'page text');
}
