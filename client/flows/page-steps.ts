// Page steps, this project's extension of Botium's format: `#me` lines that open a page in the in-app browser and
// act on it, and the rules for where they may stand, checked once the partial flows are pulled in.
import { FlowError, type PageStep, type Source, type Step } from './flow.ts';

/** The `#me` keywords of page steps. */
export const PAGE_KEYWORDS = new Set(['OPEN', 'DENY', 'CLICK', 'FILL', 'CLOSE', 'PAY', 'CANCEL']);

/** The asserters a page's text can be checked with: the text ones (cards, buttons and media are a message's). */
const TEXT_ASSERTER = /^TEXT_/;

const WEB_URL = /^https?:\/\/\S+$/i;

/** One `#me` line of a page keyword, as a step; `DENY` comes back as such, for the section's OPEN. */
export function pageLine(name: string, args: string[], at: Source): PageStep | 'deny' {
  const none = (keyword: string) => {
    if (args.length) throw new FlowError(at, `${keyword} takes nothing after it`);
  };
  switch (name) {
    case 'OPEN':
      if (args.length > 1 || (args[0] !== undefined && !WEB_URL.test(args[0]))) {
        throw new FlowError(at, 'OPEN takes an http(s) URL, or nothing to open the link of the bot message the last #bot took');
      }
      return { kind: 'open', ...(args[0] ? { url: args[0] } : {}), consent: 'allow', at };
    case 'DENY':
      none('DENY');
      return 'deny';
    case 'CLICK':
      if (!args[0] || args.length > 1) throw new FlowError(at, 'CLICK needs the text of a link or button on the page, e.g. "CLICK Log in"');
      return { kind: 'click', name: args[0], at };
    case 'FILL':
      if (args.length !== 2 || !args[0]) throw new FlowError(at, 'FILL needs a field\'s label and the value, e.g. "FILL Name|Alice"');
      return { kind: 'fill', label: args[0], value: args[1]!, at };
    case 'PAY':
    case 'CANCEL':
      none(name);
      return { kind: 'pay-sheet', answer: name === 'PAY' ? 'pay' : 'cancel', at };
    default: // CLOSE
      none('CLOSE');
      return { kind: 'close', at };
  }
}

/** A `DENY` line makes its `#me` section's OPEN answer the consent sheet with Deny. */
export function applyDeny(lines: ReadonlyArray<{ step: PageStep | 'deny'; at: Source }>): void {
  const denials = lines.filter((l) => l.step === 'deny');
  if (denials.length === 0) return;
  const open = lines.find((l) => l.step !== 'deny' && l.step.kind === 'open')?.step as Extract<PageStep, { kind: 'open' }> | undefined;
  if (!open || denials.length > 1) throw new FlowError(denials[0]!.at, 'DENY goes once with the OPEN of its #me section: that page\'s consent sheet is answered with Deny');
  open.consent = 'deny';
}

/**
 * Refuses page steps out of place in a whole flow (partial flows pulled in): CLICK, FILL and CLOSE without an open
 * page, a message to the chat while a page covers it, and a #bot on a page that checks what only messages have.
 */
export function checkPageSteps(steps: readonly Step[]): void {
  let openedAt: Source | undefined;
  const where = (at: Source) => `${at.file}:${at.line}`;
  for (const step of steps) {
    if (step.kind === 'open') openedAt = step.at;
    else if (step.kind === 'close' || step.kind === 'click' || step.kind === 'fill' || step.kind === 'pay-sheet') {
      const keyword = step.kind === 'pay-sheet' ? step.answer.toUpperCase() : step.kind.toUpperCase();
      if (!openedAt) throw new FlowError(step.at, `${keyword} needs an open page${step.kind === 'pay-sheet' ? ' whose script asks to pay' : ''}: OPEN one first`);
      if (step.kind === 'close') openedAt = undefined;
    } else if (step.kind === 'send' && openedAt) {
      throw new FlowError(step.at, `a page is open (OPEN at ${where(openedAt)}) and covers the chat: CLOSE it before sending a message`);
    } else if (step.kind === 'expect' && openedAt) {
      const asserter = step.asserters.find((a) => !TEXT_ASSERTER.test(a.name));
      if (asserter) throw new FlowError(asserter.at, `${asserter.name} checks a bot message, but a page is open (OPEN at ${where(openedAt)}): a page's text takes the text lines and TEXT_* asserters; CLOSE it first`);
    }
  }
}

/** Whether a flow opens a page, and so needs Chromium. */
export const opensPages = (steps: readonly Step[]): boolean => steps.some((s) => s.kind === 'open');
