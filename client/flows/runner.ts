// Plays flows against a server, each as a fresh user, many at once.
import { randomBytes } from 'node:crypto';
import type { Agent } from 'node:http';
import type { Inbound, StoredMessage } from '../../server/contract.ts';
import { BotClient, BotClientError } from '../sdk/bot-client.ts';
import { SharedBrowser } from './chromium.ts';
import { runAgent } from './connection-agent.ts';
import { check, linkOf, showMessage } from './expectations.ts';
import { FlowError, type Flow, type PageStep, type Source, type Utterances } from './flow.ts';
import { PageSession, type PageProblem } from './page-session.ts';
import { checkPageSteps, opensPages } from './page-steps.ts';

export type FlowFailure = { step: number; at: Source; what: string; expected: string; actual: string };
export type FlowResult = { flow: Flow; passed: boolean; durationMs: number; failure?: FlowFailure; transcript: StoredMessage[] };

/**
 * Flows played at once unless told otherwise: each is a connection and a few round trips, mostly waiting for
 * the server, whose writes batch the more turns come at once (1 000 flows against a local server: 1.65 s at
 * 32, 1.57 s at 64, 1.40–1.56 s at 128); 64 leaves a server under test room to breathe.
 */
export const DEFAULT_CONCURRENCY = 64;

export type RunOptions = {
  url: string;
  /** Flows played at the same time (default DEFAULT_CONCURRENCY). */
  concurrency?: number;
  /** How long to wait for each bot message (default 10 s). */
  timeoutMs?: number;
  utterances?: Map<string, Utterances>;
  /** Called as each flow finishes, for live reporting. */
  onResult?: (result: FlowResult) => void;
  /** On `rate_limited`, wait as the server says and resend (default true); false: the flow fails. */
  retryRateLimited?: boolean;
  /** Called each time a flow waits for the server's rate limit, with how long. */
  onRateLimited?: (waitMs: number) => void;
  /** Where flows that OPEN pages open them; without it runFlows launches Chromium once for the run (runFlow, for the flow). */
  browser?: SharedBrowser;
  /** The HTTP agent the flows' connections go through; runFlows makes one for the run (connection-agent.ts). */
  agent?: Agent;
};

// A flow's user: this process's random prefix and a counter, unique across runs without a random draw per flow.
const runPrefix = randomBytes(9).toString('base64url');
let flowsStarted = 0;
const newFlowUserId = () => `flow_${runPrefix}_${(flowsStarted++).toString(36)}`;

/** Bot messages in the order they arrive, from acks and pushes alike, each once. */
class Inbox {
  private readonly queue: StoredMessage[] = [];
  private readonly seen = new Set<string>();
  private waiter: (() => void) | undefined;
  /** The newest bot message that arrived, checked or not: what a BUTTON taps options in. */
  latest: StoredMessage | undefined;

  add(message: StoredMessage): void {
    if (message.from !== 'bot' || this.seen.has(message.id)) return;
    this.seen.add(message.id);
    this.queue.push(message);
    this.latest = message;
    this.waiter?.();
  }

  async next(timeoutMs: number): Promise<StoredMessage | undefined> {
    if (this.queue.length === 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, timeoutMs);
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.waiter = undefined;
    }
    return this.queue.shift();
  }
}

/** Plays one flow as a new user; never throws, a problem is the flow's failure. */
export async function runFlow(flow: Flow, options: RunOptions): Promise<FlowResult> {
  const started = performance.now();
  const timeoutMs = options.timeoutMs ?? 10_000;
  const transcript: StoredMessage[] = [];
  const result = (failure?: FlowFailure): FlowResult => ({
    flow,
    passed: !failure,
    durationMs: Math.round(performance.now() - started),
    failure,
    transcript,
  });
  try {
    checkPageSteps(flow.steps);
  } catch (err) {
    if (!(err instanceof FlowError)) throw err;
    return result({ step: 0, at: err.at, what: 'flow', expected: 'page steps in their place', actual: err.reason });
  }
  let client: BotClient | undefined;
  // A flow that opens pages and was given no browser launches one of its own.
  const ownBrowser = !options.browser && opensPages(flow.steps) ? new SharedBrowser() : undefined;
  const browser = options.browser ?? ownBrowser;
  let pages: PageSession | undefined;
  let pageOpen = false;
  try {
    const userId = newFlowUserId();
    client = await BotClient.connect({
      url: options.url,
      userId,
      agent: options.agent,
      timeoutMs,
      retryRateLimited: options.retryRateLimited ?? true,
      onRateLimited: options.onRateLimited,
    });
    const inbox = new Inbox();
    /** The bot message the last #bot took: what OPEN alone taps. */
    let taken: StoredMessage | undefined;
    // The welcome a new user gets on connecting is the first bot message only for flows that begin by expecting one.
    const first = flow.steps.find((s) => s.kind !== 'pause');
    if (first?.kind === 'expect') client.history.forEach((m) => inbox.add(m));
    client.onMessage((m) => inbox.add(m));
    for (const [index, step] of flow.steps.entries()) {
      const fail = (what: string, expected: string, actual: string, at = step.at) => result({ step: index + 1, at, what, expected, actual });
      if (step.kind === 'pause') await new Promise((r) => setTimeout(r, step.ms));
      else if (step.kind === 'send') {
        try {
          const inbound = step.scene === undefined ? tapOrClick(step, inbox.latest) : await client.scanInbound(step.scene);
          const { message, replies } = await client.send(inbound);
          transcript.push(message);
          replies.forEach((m) => inbox.add(m));
        } catch (err) {
          const code = err instanceof BotClientError ? err.code : 'error';
          return fail('send', 'the server to accept the message', `${code}: ${(err as Error).message}`);
        }
      } else if (step.kind === 'expect' && pageOpen) {
        const mismatch = await pages!.expect(step, options.utterances ?? new Map());
        if (mismatch) return fail(mismatch.what, mismatch.expected, mismatch.actual, mismatch.at);
      } else if (step.kind === 'expect') {
        const message = await inbox.next(timeoutMs);
        if (message) transcript.push(message);
        if (!message) return fail('a bot message', showExpectation(step), `(nothing within ${timeoutMs} ms)`);
        taken = message;
        const mismatch = check(step, message, options.utterances ?? new Map());
        if (mismatch) return fail(mismatch.what, mismatch.expected, mismatch.actual, mismatch.at);
      } else if (step.kind !== 'include') {
        // A page step: the first OPEN brings up the flow's chat window in Chromium.
        const tapped = taken ?? inbox.latest;
        const url = step.kind === 'open' ? (step.url ?? linkOf(tapped)) : undefined;
        if (step.kind === 'open' && !url) return fail('open', 'a bot message with a web link (a news card, a template card or a URL in a text)', showMessage(tapped));
        let problem: PageProblem | undefined;
        try {
          pages ??= await PageSession.start(browser!, options.url, userId, timeoutMs);
          problem = await pageStep(pages, step, url);
        } catch (err) {
          problem = { expected: step.kind === 'open' ? `the page ${url} in the chat window of ${userId}` : `to ${step.kind} on the page`, actual: firstLine(err) };
        }
        if (problem) return fail(step.kind, problem.expected, problem.actual);
        pageOpen = step.kind !== 'close';
      }
    }
    return result();
  } catch (err) {
    return result({ step: 0, at: { file: flow.file, line: 1 }, what: 'connect', expected: `a connection to ${options.url}`, actual: (err as Error).message });
  } finally {
    client?.close();
    await pages?.dispose();
    await ownBrowser?.close();
  }
}

/** An error's first line: Playwright's messages go on with a call log that says nothing to a flow's author. */
const firstLine = (err: unknown) => String((err as Error).message ?? err).split('\n')[0]!;

/** Plays a page step in the flow's chat window; `url` is what an OPEN opens. */
function pageStep(pages: PageSession, step: PageStep, url: string | undefined): Promise<PageProblem | undefined> {
  switch (step.kind) {
    case 'open':
      return pages.open(url!, step.consent);
    case 'click':
      return pages.click(step.name);
    case 'fill':
      return pages.fill(step.label, step.value);
    case 'close':
      return pages.close().then(() => undefined);
    case 'pay-sheet':
      return pages.answerPaySheet(step.answer);
  }
}

/** A BUTTON taps the option of that text (or id) when the bot's last message offered options; else it clicks the menu key. */
function tapOrClick(step: Extract<Flow['steps'][number], { kind: 'send' }>, latest: StoredMessage | undefined): Inbound {
  if (step.button === undefined || latest?.type !== 'options') return step.inbound;
  const item = latest.items.find((i) => i.text === step.button) ?? latest.items.find((i) => i.id === step.button);
  return item ? { type: 'text', text: item.text, optionId: item.id } : step.inbound;
}

function showExpectation(step: Extract<Flow['steps'][number], { kind: 'expect' }>): string {
  const parts = [step.text ? `${step.text.not ? '!' : ''}${step.text.pattern}` : '', ...step.asserters.map((a) => `${a.not ? '!' : ''}${a.name} ${a.args.join('|')}`)];
  return parts.filter(Boolean).join('\n') || 'any message';
}

/**
 * How long a run was throttled: the wall time during which at least one flow waited for the rate limit.
 * Waits start in time order, so the union of the intervals [start, start + wait] only ever grows at its end.
 */
export function throttleClock(): { onRateLimited: (waitMs: number) => void; throttledMs: () => number } {
  let total = 0;
  let until = 0;
  return {
    onRateLimited: (waitMs) => {
      const now = performance.now();
      total += Math.max(0, now + waitMs - Math.max(now, until));
      until = Math.max(until, now + waitMs);
    },
    throttledMs: () => Math.round(total),
  };
}

/** Plays all flows, `concurrency` at a time; results come back in the flows' order. */
export async function runFlows(flows: Flow[], options: RunOptions): Promise<FlowResult[]> {
  const results: FlowResult[] = new Array(flows.length);
  let next = 0;
  const worker = async (browser: SharedBrowser | undefined, agent: Agent) => {
    while (next < flows.length) {
      const index = next++;
      results[index] = await runFlow(flows[index]!, { ...options, browser, agent });
      options.onResult?.(results[index]!);
    }
  };
  const concurrency = Math.max(1, Math.min(options.concurrency ?? DEFAULT_CONCURRENCY, flows.length));
  // One browser for the run, launched when the first flow opens a page (flows without pages never load it).
  const browser = options.browser ?? (flows.some((f) => opensPages(f.steps)) ? new SharedBrowser() : undefined);
  const agent = options.agent ?? runAgent();
  try {
    await Promise.all(Array.from({ length: concurrency }, () => worker(browser, agent)));
  } finally {
    if (browser !== options.browser) await browser?.close();
    if (agent !== options.agent) agent.destroy();
  }
  return results;
}
