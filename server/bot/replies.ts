// The bot's messages: welcome, help, list, sections as text pages or news cards, the default reply.
import type { Article, Outbound } from '../contract.ts';
import type { Section } from '../content/article.ts';
import type { Knowledge } from './knowledge.ts';
import { sectionHeader } from './knowledge.ts';
import { byteLength, MAX_TEXT_BYTES } from './paging.ts';
import { excerpt } from './text.ts';

export const text = (body: string): Outbound => ({ type: 'text', text: body });

/** Where the chat window opens a section; WeChat's XML channel makes it absolute. */
export function sectionUrl(section: Section): string {
  return `/#/sections/${encodeURIComponent(section.id)}`;
}

/** Lines joined until the next would push the message past WeChat's limit; the rest is summarised. */
function fitLines(head: string, lines: string[], tail: string): string {
  const kept: string[] = [];
  const room = MAX_TEXT_BYTES - byteLength(`${head}\n\n${tail}`) - 40;
  let used = 0;
  for (const [i, line] of lines.entries()) {
    if (used + byteLength(line) + 1 > room) {
      kept.push(`…and ${lines.length - i} more`);
      break;
    }
    kept.push(line);
    used += byteLength(line) + 1;
  }
  return `${head}\n${kept.join('\n')}\n\n${tail}`;
}

function numberedSections(sections: Section[]): string[] {
  return sections.map((s) => `${s.number}. ${s.title}`);
}

/** A few keywords to show as examples: the first of each section, plus a Chinese one if there is one. */
function exampleKeywords(kb: Knowledge): string[] {
  const firsts = kb.article.sections.flatMap((s) => s.keywords.slice(0, 1)).slice(1, 4);
  const cjk = kb.article.sections.flatMap((s) => s.keywords).find((k) => /\p{Script=Han}/u.test(k));
  return cjk && !firsts.includes(cjk) ? [...firsts, cjk] : firsts;
}

// Welcome, help and list depend only on the knowledge base, which is replaced (never changed) when the rules
// or the menu change: each is built once per knowledge base, not once per message.
type Fixed = { welcome: Outbound; help: Outbound; list: Outbound; sectionLines: string[] };
const fixedReplies = new WeakMap<Knowledge, Fixed>();

function fixed(kb: Knowledge): Fixed {
  let replies = fixedReplies.get(kb);
  if (!replies) {
    // Frozen: the same objects answer every user, so nobody may change them.
    replies = Object.freeze({
      welcome: Object.freeze(buildWelcome(kb)),
      help: Object.freeze(buildHelp(kb)),
      list: Object.freeze(buildList(kb)),
      sectionLines: numberedSections(kb.article.sections),
    });
    fixedReplies.set(kb, replies);
  }
  return replies;
}

/** The message a new subscriber gets. */
export const welcome = (kb: Knowledge): Outbound => fixed(kb).welcome;
/** What the bot understands. */
export const help = (kb: Knowledge): Outbound => fixed(kb).help;
/** The sections, numbered. */
export const list = (kb: Knowledge): Outbound => fixed(kb).list;

function buildWelcome(kb: Knowledge): Outbound {
  const examples = exampleKeywords(kb);
  const how = [
    `Send a keyword${examples.length ? ` (${examples.join(', ')}…)` : ''} or a question, or a section's number.`,
    kb.account.menu.length ? 'The menu below has shortcuts; send "help" any time.' : 'Send "help" any time.',
  ].join(' ');
  return text(
    fitLines(
      `Welcome to ${kb.account.name}! This account shares the article "${kb.article.title}". Its sections:`,
      numberedSections(kb.article.sections),
      how,
    ),
  );
}

function buildHelp(kb: Knowledge): Outbound {
  const examples = exampleKeywords(kb);
  return text(
    [
      `How to use ${kb.account.name}:`,
      `• a keyword or a question${examples.length ? `, e.g. ${examples.map((k) => `"${k}"`).join(', ')}` : ''}: the section about it`,
      '• "list" (or "menu", "目录"): the sections, numbered',
      '• a number, e.g. "2": that section, right here in the chat',
      '• "more" (or "更多"): the next page of a long section',
      '• "help" (or "?", "帮助"): this message',
      kb.account.menu.length ? '• the menu at the bottom: shortcuts to the same' : '',
    ]
      .filter(Boolean)
      .join('\n'),
  );
}

function buildList(kb: Knowledge): Outbound {
  return text(
    fitLines(
      `"${kb.article.title}":`,
      numberedSections(kb.article.sections),
      'Reply with a number to read a section.',
    ),
  );
}

// A section's card and pages depend only on the section: each is built once, frozen, and the same object is
// answered every time (flattening the section's text per card was a measurable share of a message's time, and a
// frozen reply's JSON is kept by the chat service instead of being made again each turn).
const cards = new WeakMap<Section, Outbound>();
const pagesBuilt = new WeakMap<string[], Outbound[]>();

/** A news card (图文) that opens the whole section; used when a keyword or a question picked it. */
export function sectionCard(section: Section): Outbound {
  let card = cards.get(section);
  if (card === undefined) {
    // The contract calls a news card an Article, as WeChat does; here it is one card, not the article.
    const article: Article = Object.freeze({
      title: section.title,
      description: `${excerpt(section.text, 110)} (Reply ${section.number} to read it here.)`,
      url: sectionUrl(section),
      sectionId: section.id,
    });
    card = Object.freeze({ type: 'news', articles: Object.freeze([article]) as Article[] });
    cards.set(section, card);
  }
  return card;
}

/** One page of a section as text, with where the reader is and how to go on. */
export function sectionPage(section: Section, pages: string[], index: number): Outbound {
  // By the section's pages (the knowledge's paging of its text), which are made once per section too.
  let built = pagesBuilt.get(pages);
  if (built === undefined) {
    built = [];
    pagesBuilt.set(pages, built);
  }
  return (built[index] ??= Object.freeze(buildPage(section, pages, index)));
}

function buildPage(section: Section, pages: string[], index: number): Outbound {
  const head = index === 0 ? `${sectionHeader(section)}\n\n` : '';
  const last = index === pages.length - 1;
  const foot =
    pages.length === 1
      ? ''
      : last
        ? `\n\n(${index + 1}/${pages.length}) End of "${section.title}". Send "list" for the other sections.`
        : `\n\n(${index + 1}/${pages.length}) Send "more" for the next page.`;
  return text(`${head}${pages[index]}${foot}`);
}

/** The answer to a picture: the article bot reads only text, and says so politely. */
export function pictureReceived(): Outbound {
  return text('Thanks for the picture! I can only read text, though. Send a keyword, a question, or "help".');
}

/** A location or link the user sent: the article bot reads text only, and says so with where to go. */
export function onlyText(what: 'location' | 'link'): Outbound {
  return text(`Thanks for the ${what}! I can only read text, though. Send a keyword, a question, or "help".`);
}

export function nothingMore(): Outbound {
  return text('There is nothing more to read right now. Send "list" for the sections, or a section\'s number.');
}

export function noSuchSection(kb: Knowledge, number: string): Outbound {
  return text(
    `There is no section ${number}: the article has ${kb.article.sections.length}, numbered 1 to ${kb.article.sections.length}. Send "list" to see them.`,
  );
}

export function unknownButton(key: string): Outbound {
  return text(`This menu button (key "${excerpt(key, 40)}") has no reply bound to it. Send "help" to see what I can do.`);
}

/** The reply when nothing matched: never empty, always with somewhere to go next. */
export function fallback(kb: Knowledge, said: string, suggestions: Section[]): Outbound {
  const quoted = excerpt(said, 40);
  if (suggestions.length === 0) {
    return text(
      fitLines(
        `Sorry, I found nothing about "${quoted}" in the article. These are its sections:`,
        fixed(kb).sectionLines,
        'Reply with a number, or send "help".',
      ),
    );
  }
  return text(
    fitLines(
      `I'm not sure which part of the article "${quoted}" is about. The closest sections:`,
      numberedSections(suggestions),
      'Reply with a number to read one, or send "list" for all sections.',
    ),
  );
}
