// What a parsed flow is: steps to send, expectations to check, with where each came from.
import type { Inbound } from '../../server/contract.ts';

export type Source = { file: string; line: number };

/** A problem with a flow file; the message names the file, the line and the reason. */
export class FlowError extends Error {
  constructor(
    readonly at: Source,
    readonly reason: string,
  ) {
    super(`${at.file}:${at.line}: ${reason}`);
    this.name = 'FlowError';
  }
}

export type Asserter = { name: string; args: string[]; not: boolean; at: Source };

export type Step =
  /**
   * `#me`: text (possibly an utterance list's name), a `BUTTON`, a picture (`MEDIA`) or an `EVENT`. `button`: the
   * BUTTON's argument, which taps the option of that text when the bot's last message offered one (else `inbound`, a menu click).
   * `scene`: a `SCAN`'s scene (or ticket); when the step runs, the ticket of the account's live code with that scene is sent.
   */
  | { kind: 'send'; inbound: Inbound; button?: string; utterances?: string; scene?: string; at: Source }
  /** `#bot`: the next bot message must match the text (wildcards) and every asserter. */
  | { kind: 'expect'; text?: { pattern: string; not: boolean; at: Source }; asserters: Asserter[]; at: Source }
  | { kind: 'pause'; ms: number; at: Source }
  | { kind: 'include'; name: string; at: Source }
  | PageStep;

/**
 * `#me` on a page (this project's extension): `OPEN [URL]` opens a page in the in-app browser of the flow's chat window
 * (without a URL, the link of the bot message the last `#bot` took), answering WeChat's consent sheet with Allow, or with
 * Deny when the section says `DENY`; then `CLICK`, `FILL` and `CLOSE`, and `PAY` or `CANCEL` on the WeChat Pay sheet the
 * page opened. While a page is open, `#bot` checks its text.
 */
export type PageStep =
  | { kind: 'open'; url?: string; consent: 'allow' | 'deny'; at: Source }
  | { kind: 'click'; name: string; at: Source }
  | { kind: 'fill'; label: string; value: string; at: Source }
  | { kind: 'close'; at: Source }
  | { kind: 'pay-sheet'; answer: 'pay' | 'cancel'; at: Source };

export type Flow = {
  name: string;
  description?: string;
  file: string;
  steps: Step[];
};

export type Utterances = { name: string; phrasings: string[]; file: string };
