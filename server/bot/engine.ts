// The bot engine: (knowledge, session, inbound, environment) to (replies, session), deterministic for a given environment.
import type { Inbound, Outbound } from '../contract.ts';
import type { Section } from '../content/article.ts';
import type { Rule, RuleReply } from '../content/rules.ts';
import type { Session } from '../session.ts';
import type { Knowledge } from './knowledge.ts';
import { matchRule } from './matching.ts';
import * as reply from './replies.ts';
import type { SearchHit } from './search.ts';
import { RecentMap } from './recent.ts';
import { bare, normalize } from './text.ts';

/** The outside world the engine may look at (the clock, the dice), passed in so that its answers can be reproduced in tests. */
export type Environment = { now: Date; random: () => number };

export type Turn = { replies: Outbound[]; session: Session };

/** A "more" long after the section was sent would surprise; a real account forgets too. */
export const PAGING_TTL_MS = 60 * 60 * 1000;

// A section is about the message only when it matches at least half of its words, one of them more than
// everyday talk: "I love cats" shares only "love" with the games section ("Daily Love Elimination").
const MIN_COVERAGE = 0.5;
// Such a hit is answered directly only when it is clearly ahead of the next one.
const MIN_SCORE = 2;
const CLEAR_LEAD = 1.5;
const MAX_SUGGESTIONS = 3;
// Weaker hits are mostly typo-tolerance noise in titles and keywords; suggesting them would mislead.
const MIN_SUGGESTION_SCORE = 1;

const HELP = new Set(['help', '?', '帮助', 'h']);
const LIST = new Set(['list', 'menu', '目录', 'contents', 'sections', '菜单']);
const MORE = new Set(['more', '更多', 'next', '下一页', '继续']);

/** Answers one inbound message. */
export function respond(kb: Knowledge, session: Session, inbound: Inbound, env: Environment): Turn {
  if (inbound.type === 'event') {
    switch (inbound.event) {
      case 'subscribe':
        return { replies: [reply.welcome(kb)], session: { subscribed: true } };
      case 'unsubscribe':
        // WeChat delivers nothing to a user who has just left, so there is nothing to say.
        return { replies: [], session: { subscribed: false } };
      case 'click':
        return answerKey(kb, session, inbound.key, env);
      case 'view':
        // The user opened a menu link: WeChat shows the page; the account says nothing.
        return keep(session);
      case 'scan':
        // A follower scanned one of the account's codes: nothing to say unless a server under test says it.
        return keep(session);
    }
  }
  if (inbound.type === 'image') return keep(session, reply.pictureReceived());
  if (inbound.type === 'location' || inbound.type === 'link') return keep(session, reply.onlyText(inbound.type));
  return answerText(kb, session, inbound.text, env);
}

/**
 * What a text asks for: the same whatever the session and the moment, so it is worked out once per text and
 * knowledge base (a new one when the rules or the menu change). People repeat themselves (keywords, numbers,
 * "more", the same question), and a search that finds nothing walks much of the fuzzy index. Most texts
 * get the same replies from everyone (`replies`); paging, a section by number and a rule that picks at
 * random depend on the session or the dice, and are answered anew each time.
 */
type Request =
  | { kind: 'replies'; replies: readonly Outbound[] }
  | { kind: 'more' }
  | { kind: 'number'; number: string }
  | { kind: 'random rule'; rule: Rule };

const REMEMBERED_TEXTS = 1000;
const understood = new WeakMap<Knowledge, RecentMap<string, Request>>();

function understand(kb: Knowledge, said: string): Request {
  let recent = understood.get(kb);
  if (!recent) understood.set(kb, (recent = new RecentMap(REMEMBERED_TEXTS)));
  let request = recent.get(said);
  if (!request) recent.set(said, (request = classify(kb, said)));
  return request;
}

function classify(kb: Knowledge, said: string): Request {
  const fixed = (...replies: Outbound[]): Request => Object.freeze({ kind: 'replies', replies: Object.freeze(replies) });
  const command = bare(said);
  if (HELP.has(command) || said.trim() === '?') return fixed(reply.help(kb));
  if (LIST.has(command)) return fixed(reply.list(kb));
  if (MORE.has(command)) return { kind: 'more' };
  const number = numeral(said);
  if (number !== undefined) return { kind: 'number', number };

  const match = matchRule(kb.ruleIndex, said);
  if (match) return match.rule.replyMode === 'random' ? { kind: 'random rule', rule: match.rule } : fixed(...allReplies(kb, match.rule));

  const hits = kb.search.search(said);
  const [best, second] = hits;
  if (best && isAbout(best) && best.score >= MIN_SCORE && (!second || best.score >= second.score * CLEAR_LEAD)) {
    return fixed(reply.sectionCard(sectionById(kb, best.sectionId)!));
  }
  const suggestions = hits
    .filter((h) => isAbout(h) && h.score >= MIN_SUGGESTION_SCORE)
    .slice(0, MAX_SUGGESTIONS)
    .flatMap((h) => sectionById(kb, h.sectionId) ?? []);
  return fixed(Object.freeze(reply.fallback(kb, said, suggestions)));
}

function answerText(kb: Knowledge, session: Session, said: string, env: Environment): Turn {
  const request = understand(kb, said);
  switch (request.kind) {
    case 'replies':
      return keep(session, ...request.replies);
    case 'more':
      return nextPage(kb, session, env);
    case 'number':
      return readSection(kb, session, request.number, env);
    case 'random rule':
      return keep(session, ...ruleReplies(kb, request.rule, env));
  }
}

function isAbout(hit: SearchHit): boolean {
  return hit.coverage >= MIN_COVERAGE && hit.distinctive;
}

/** A menu key: "help", "list", "more", "section:<id>", or the id of a stored rule. */
function answerKey(kb: Knowledge, session: Session, key: string, env: Environment): Turn {
  if (key === 'help') return keep(session, reply.help(kb));
  if (key === 'list') return keep(session, reply.list(kb));
  if (key === 'more') return nextPage(kb, session, env);
  const section = key.startsWith('section:') ? sectionById(kb, key.slice('section:'.length)) : undefined;
  if (section) return keep(session, reply.sectionCard(section));
  const rule = kb.rules.find((r) => r.id === key);
  if (rule) return keep(session, ...ruleReplies(kb, rule, env));
  return keep(session, reply.unknownButton(key));
}

/**
 * The number a message consists of, if it is one: "2", "２", "(2)", "2." but also "-1", "0" and "2.5", which
 * are told there is no such section rather than searched for ("-1" is not "1").
 */
function numeral(said: string): string | undefined {
  const trimmed = normalize(said)
    .replace(/^[^\p{L}\p{N}+\-−]+/u, '')
    .replace(/[^\p{L}\p{N}]+$/u, '');
  return /^[+\-−]?\d{1,15}(?:[.,]\d{1,15})?$/.test(trimmed) ? trimmed : undefined;
}

function readSection(kb: Knowledge, session: Session, number: string, env: Environment): Turn {
  // Only a positive whole number names a section; a leading zero is fine ("02").
  const section = /^\d+$/.test(number) ? kb.article.sections[Number(number) - 1] : undefined;
  if (!section) return keep(session, reply.noSuchSection(kb, number));
  return pageOf(kb, session, section, 0, env);
}

function nextPage(kb: Knowledge, session: Session, env: Environment): Turn {
  const paging = session.paging;
  const fresh = paging && env.now.getTime() - Date.parse(paging.at) < PAGING_TTL_MS;
  const section = fresh ? sectionById(kb, paging.sectionId) : undefined;
  if (!paging || !section) return { replies: [reply.nothingMore()], session: withoutPaging(session) };
  return pageOf(kb, session, section, paging.nextPage, env);
}

function pageOf(kb: Knowledge, session: Session, section: Section, index: number, env: Environment): Turn {
  const pages = kb.pages.get(section.id)!;
  if (index >= pages.length) return { replies: [reply.nothingMore()], session: withoutPaging(session) };
  const hasMore = index + 1 < pages.length;
  return {
    replies: [reply.sectionPage(section, pages, index)],
    session: hasMore
      ? { ...session, paging: { sectionId: section.id, nextPage: index + 1, at: env.now.toISOString() } }
      : withoutPaging(session),
  };
}

/** A rule's replies: all of them, or one picked at random, as the rule's reply mode says. */
function ruleReplies(kb: Knowledge, rule: Rule, env: Environment): Outbound[] {
  const { replies } = rule;
  return rule.replyMode === 'random' ? [ruleReply(kb, replies[Math.floor(env.random() * replies.length)]!)] : allReplies(kb, rule);
}

function allReplies(kb: Knowledge, rule: Rule): Outbound[] {
  return rule.replies.map((r) => ruleReply(kb, r));
}

function ruleReply(kb: Knowledge, r: RuleReply): Outbound {
  if (r.type !== 'section') return r;
  const section = sectionById(kb, r.sectionId);
  // Rules are checked against the article when saved; a rule left over from another article says so.
  return section ? reply.sectionCard(section) : reply.text(`(This reply points at a section "${r.sectionId}" that the article no longer has.)`);
}

function sectionById(kb: Knowledge, id: string): Section | undefined {
  return kb.article.sections.find((s) => s.id === id);
}

function keep(session: Session, ...replies: Outbound[]): Turn {
  return { replies, session };
}

function withoutPaging(session: Session): Session {
  const { paging: _paging, ...rest } = session;
  return rest;
}
