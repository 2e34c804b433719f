// Parses Botium's text formats: *.convo.txt (flows), *.pconvo.txt (partial flows), *.utterances.txt.
import type { Inbound } from '../../server/contract.ts';
import { FlowError, type Asserter, type Flow, type PageStep, type Source, type Step, type Utterances } from './flow.ts';
import { applyDeny, PAGE_KEYWORDS, pageLine } from './page-steps.ts';

/** The asserters this runner implements under `#bot` (Botium's names). */
export const ASSERTERS = new Set([
  'TEXT_CONTAINS_ANY',
  'TEXT_CONTAINS_ANY_IC',
  'TEXT_CONTAINS_ALL',
  'TEXT_CONTAINS_ALL_IC',
  'TEXT_REGEXP_ANY',
  'TEXT_REGEXP_ANY_IC',
  'TEXT_EQUALS',
  'TEXT_EQUALS_IC',
  'CARDS',
  'CARDS_COUNT',
  'BUTTONS',
  'BUTTONS_COUNT',
  'MEDIA',
  'MEDIA_COUNT',
]);

// Botium keywords that look like text but are not supported here: say so rather than send them as text.
const UNSUPPORTED = new Set(['FORM', 'INTENT', 'ENTITIES', 'WAITFORBOT', 'CONDITIONAL_STEP_TIME_BASED']);
/** A picture's address the server accepts in an `image` message: a path on the server or http(s). */
const PICTURE_URL = /^(\/(?!\/)|https?:\/\/)\S+$/i;
/** What a Botium keyword or an utterance list's name looks like: UPPER_CASE with an underscore. */
export const KEYWORD_SHAPE = /^[A-Z][A-Z0-9]*(_[A-Z0-9]+)+$/;
const SECTIONS = new Set(['me', 'bot', 'begin', 'end', 'include']);

type Section = { sender: string; arg: string; at: Source; lines: Array<{ text: string; at: Source }> };

/** Splits a file into its name, description and `#sender` sections. */
function sections(source: string, file: string): { name: string; description?: string; sections: Section[] } {
  const lines = source.replace(/^\uFEFF/, '').split(/\r?\n/);
  const result: Section[] = [];
  const head: string[] = [];
  let current: Section | undefined;
  lines.forEach((raw, i) => {
    const at = { file, line: i + 1 };
    const line = raw.trimEnd();
    const header = /^#(\S+)\s*(.*)$/.exec(line);
    if (header) {
      const sender = header[1]!.toLowerCase();
      if (!SECTIONS.has(sender)) throw new FlowError(at, `unknown section "#${header[1]}"; use #me, #bot, #begin, #end or #include NAME`);
      current = { sender, arg: header[2]!.trim(), at, lines: [] };
      result.push(current);
      return;
    }
    if (current) current.lines.push({ text: line, at });
    else head.push(line);
  });
  const firstLine = head.findIndex((l) => l.trim());
  if (firstLine < 0) throw new FlowError({ file, line: 1 }, 'the first line must be the name');
  const description = head.slice(firstLine + 1).join('\n').trim();
  return { name: head[firstLine]!.trim(), description: description || undefined, sections: result };
}

/** A logic line's parts: `!NAME arg1|arg2` → not, name, args. */
function keywordLine(text: string): { not: boolean; name: string; args: string[] } {
  const not = text.startsWith('!') && !text.startsWith('!!');
  const body = not ? text.slice(1) : text;
  const [name = '', ...rest] = body.trim().split(/\s+/);
  const argText = body.trim().slice(name.length).trim();
  return { not, name, args: rest.length ? argText.split('|').map((a) => a.trim()) : [] };
}

function parsePause(args: string[], at: Source): Step {
  const ms = Number(args[0]);
  if (args.length !== 1 || !Number.isInteger(ms) || ms < 0 || ms > 600_000) {
    throw new FlowError(at, 'PAUSE needs one whole number of milliseconds, at most 600000');
  }
  return { kind: 'pause', ms, at };
}

/** The text lines of a section, joined as Botium does: with newlines, without surrounding blank lines. */
function joinText(lines: Array<{ text: string; at: Source }>): { text: string; at: Source } | undefined {
  const first = lines.findIndex((l) => l.text.trim());
  if (first < 0) return undefined;
  let last = lines.length - 1;
  while (!lines[last]!.text.trim()) last--;
  return { text: lines.slice(first, last + 1).map((l) => l.text).join('\n'), at: lines[first]!.at };
}

function meSteps(section: Section): Step[] {
  const steps: Step[] = [];
  const text: Array<{ text: string; at: Source }> = [];
  const page: Array<{ step: PageStep | 'deny'; at: Source }> = [];
  let action: Step | undefined;
  const neither = (at: Source) => new FlowError(at, 'a #me section either sends the chat a message or acts on a page (OPEN, CLICK, FILL, CLOSE), not both');
  for (const line of section.lines) {
    const { name, args, not } = keywordLine(line.text);
    const setAction = (step: Step) => {
      if (page.length) throw neither(line.at);
      if (action || text.some((t) => t.text.trim())) throw new FlowError(line.at, 'a #me section sends one thing: a text, a BUTTON, a MEDIA, an EVENT, a LOCATION, a LINK or a SCAN');
      action = step;
      steps.push(step);
    };
    if (not && name) throw new FlowError(line.at, '"!" (negation) only makes sense under #bot');
    if (PAGE_KEYWORDS.has(name)) {
      if (action || text.some((t) => t.text.trim())) throw neither(line.at);
      const step = pageLine(name, args, line.at);
      page.push({ step, at: line.at });
      if (step !== 'deny') steps.push(step);
    } else if (name === 'BUTTON') {
      if (!args[0]) throw new FlowError(line.at, 'BUTTON needs the menu key to click or the option to tap, e.g. "BUTTON section:games"');
      // A menu click, unless the bot's last message offered an option with this text (the runner decides).
      setAction({ kind: 'send', inbound: { type: 'event', event: 'click', key: args[0] }, button: args[0], at: line.at });
    } else if (name === 'MEDIA') {
      if (args.length !== 1 || !PICTURE_URL.test(args[0]!)) {
        throw new FlowError(line.at, 'MEDIA under #me sends a picture by its URL: a path on the server such as /api/media/ID (from POST /api/media), or http(s)');
      }
      setAction({ kind: 'send', inbound: { type: 'image', url: args[0]! }, at: line.at });
    } else if (name === 'EVENT') {
      const event = args[0];
      if (event === 'subscribe' || event === 'unsubscribe') setAction({ kind: 'send', inbound: { type: 'event', event }, at: line.at });
      else if (event === 'click' && args[1]) setAction({ kind: 'send', inbound: { type: 'event', event: 'click', key: args[1] }, at: line.at });
      else if (event === 'view' && args[1] && PICTURE_URL.test(args[1])) setAction({ kind: 'send', inbound: { type: 'event', event: 'view', url: args[1] }, at: line.at });
      else throw new FlowError(line.at, 'EVENT needs "subscribe", "unsubscribe", "click|KEY" or "view|URL"');
    } else if (name === 'LOCATION') {
      // An extension to Botium's keywords: LOCATION lat,lng[,label] (the label may hold commas).
      const [lat, lng, ...label] = args.join('|').split(',');
      const latitude = Number(lat?.trim());
      const longitude = Number(lng?.trim());
      if (!lat?.trim() || !lng?.trim() || !Number.isFinite(latitude) || !Number.isFinite(longitude) || Math.abs(latitude) > 90 || Math.abs(longitude) > 180) {
        throw new FlowError(line.at, 'LOCATION needs a latitude and a longitude in degrees and an optional label, e.g. "LOCATION 23.1291,113.2644,Guangzhou"');
      }
      const place = label.join(',').trim();
      setAction({ kind: 'send', inbound: { type: 'location', latitude, longitude, ...(place ? { label: place } : {}) }, at: line.at });
    } else if (name === 'LINK') {
      // An extension: LINK url title (a link the user shares, as from the in-app browser).
      const [url = '', ...title] = args.join('|').split(/\s+/);
      if (!/^https?:\/\/\S+$/i.test(url) || !title.join(' ').trim()) throw new FlowError(line.at, 'LINK needs an http(s) URL and a title, e.g. "LINK https://example.com/a An article"');
      setAction({ kind: 'send', inbound: { type: 'link', url, title: title.join(' ').trim() }, at: line.at });
    } else if (name === 'SCAN') {
      // An extension: SCAN scene scans the account's live QR code of that scene (scene_str or scene_id), or a ticket.
      if (args.length !== 1 || !/^\S{1,128}$/.test(args[0]!)) throw new FlowError(line.at, 'SCAN needs the scene of one of the account\'s QR codes (its scene_str or scene_id), e.g. "SCAN poster-A"');
      setAction({ kind: 'send', inbound: { type: 'event', event: 'scan', ticket: args[0]! }, scene: args[0]!, at: line.at });
    } else if (name === 'PAUSE') steps.push(parsePause(args, line.at));
    else if (name === 'INCLUDE') steps.push(includeStep(args, line.at));
    else if (UNSUPPORTED.has(name) || (KEYWORD_SHAPE.test(name) && line.text.trim() !== name)) {
      throw new FlowError(line.at, `unknown or unsupported keyword "${name}" under #me; supported: BUTTON, MEDIA, EVENT, LOCATION, LINK, SCAN, PAUSE, INCLUDE, and on pages OPEN, DENY, CLICK, FILL, CLOSE, PAY, CANCEL`);
    } else if (ASSERTERS.has(name)) {
      throw new FlowError(line.at, `${name} checks what the bot says; put it under #bot`);
    } else {
      if (page.length && line.text.trim()) throw neither(line.at);
      if (action && line.text.trim()) throw new FlowError(line.at, 'a #me section sends one thing: a text, a BUTTON, a MEDIA, an EVENT, a LOCATION, a LINK or a SCAN');
      text.push(line);
    }
  }
  applyDeny(page);
  const joined = joinText(text);
  if (joined) {
    const body = joined.text.startsWith('!!') ? joined.text.slice(1) : joined.text;
    // Where the text sits among the section's other steps (a PAUSE before it runs first).
    const inbound: Inbound = { type: 'text', text: body };
    const index = steps.findIndex((s) => s.at.line > joined.at.line);
    steps.splice(index < 0 ? steps.length : index, 0, { kind: 'send', inbound, at: joined.at });
  }
  if (!steps.some((s) => s.kind !== 'pause')) {
    throw new FlowError(section.at, '#me has nothing to send');
  }
  return steps;
}

function botSteps(section: Section): Step[] {
  const asserters: Asserter[] = [];
  const text: Array<{ text: string; at: Source }> = [];
  const extra: Step[] = [];
  for (const line of section.lines) {
    const { name, args, not } = keywordLine(line.text);
    if (line.text.startsWith('?')) throw new FlowError(line.at, 'optional ("?") steps are not supported');
    if (ASSERTERS.has(name)) asserters.push({ name, args, not, at: line.at });
    else if (name === 'PAUSE') extra.push(parsePause(args, line.at));
    else if (name === 'INCLUDE') extra.push(includeStep(args, line.at));
    else if (PAGE_KEYWORDS.has(name)) throw new FlowError(line.at, `${name} acts on a page; put it under #me`);
    else if (UNSUPPORTED.has(name) || name === 'BUTTON' || name === 'EVENT' || (KEYWORD_SHAPE.test(name) && line.text.trim() !== name)) {
      throw new FlowError(line.at, `unknown or unsupported keyword "${name}" under #bot; supported: ${[...ASSERTERS].join(', ')}, PAUSE, INCLUDE`);
    } else text.push(line);
  }
  const joined = joinText(text);
  const expectation: Step = { kind: 'expect', asserters, at: section.at };
  if (joined) {
    const not = joined.text.startsWith('!') && !joined.text.startsWith('!!');
    const pattern = not || joined.text.startsWith('!!') ? joined.text.slice(1) : joined.text;
    expectation.text = { pattern, not, at: joined.at };
  }
  // A #bot made only of PAUSE or INCLUDE lines expects no message of its own.
  const expectsMessage = joined || asserters.length || extra.length === 0;
  return [...extra.filter((s) => s.kind === 'pause'), ...(expectsMessage ? [expectation] : []), ...extra.filter((s) => s.kind === 'include')];
}

function includeStep(args: string[], at: Source): Step {
  const name = args.join(' ').trim();
  if (!name) throw new FlowError(at, 'INCLUDE needs the name of a partial flow (*.pconvo.txt)');
  return { kind: 'include', name, at };
}

/** Parses one convo or pconvo file. */
export function parseConvo(source: string, file: string): Flow {
  const { name, description, sections: parts } = sections(source, file);
  const steps: Step[] = [];
  for (const section of parts) {
    switch (section.sender) {
      case 'me':
        steps.push(...meSteps(section));
        break;
      case 'bot':
        steps.push(...botSteps(section));
        break;
      case 'include':
        if (section.lines.some((l) => l.text.trim())) {
          throw new FlowError(section.at, '#include NAME stands alone; start a new section for what follows');
        }
        steps.push(includeStep([section.arg], section.at));
        break;
      default: // #begin and #end: only pauses make sense for this bot
        for (const line of section.lines) {
          const { name: keyword, args } = keywordLine(line.text);
          if (!line.text.trim()) continue;
          if (keyword !== 'PAUSE') throw new FlowError(line.at, `only PAUSE is supported under #${section.sender}`);
          steps.push(parsePause(args, line.at));
        }
    }
  }
  return { name, description, file, steps };
}

/** Parses an utterances file: its name, then one phrasing a line. */
export function parseUtterances(source: string, file: string): Utterances {
  const lines = source.replace(/^\uFEFF/, '').split(/\r?\n/).map((l) => l.trim());
  const first = lines.findIndex(Boolean);
  if (first < 0) throw new FlowError({ file, line: 1 }, 'the first line must be the name of the utterances');
  const phrasings = lines.slice(first + 1).filter(Boolean);
  if (phrasings.length === 0) throw new FlowError({ file, line: first + 1 }, `utterances "${lines[first]}" list no phrasings`);
  return { name: lines[first]!, phrasings, file };
}
