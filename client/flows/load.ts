// Loads flow files from files and folders: resolves #include and INCLUDE, expands utterance lists.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { FlowError, type Flow, type Step, type Utterances } from './flow.ts';
import { checkPageSteps } from './page-steps.ts';
import { KEYWORD_SHAPE, parseConvo, parseUtterances } from './parse.ts';

export type FlowSuite = { flows: Flow[]; utterances: Map<string, Utterances> };

const KINDS = ['.pconvo.txt', '.convo.txt', '.utterances.txt'] as const;
const kindOf = (file: string) => KINDS.find((k) => file.endsWith(k));

function collect(target: string, into: string[]): void {
  let stat;
  try {
    stat = statSync(target);
  } catch {
    throw new FlowError({ file: target, line: 0 }, 'no such file or folder');
  }
  if (stat.isDirectory()) {
    for (const entry of readdirSync(target).sort()) {
      const full = path.join(target, entry);
      if (statSync(full).isDirectory() || kindOf(entry)) collect(full, into);
    }
  } else if (kindOf(target)) into.push(target);
  else throw new FlowError({ file: target, line: 0 }, 'not a flow file (*.convo.txt, *.pconvo.txt or *.utterances.txt)');
}

/** Reads every flow under the given paths, ready to run. */
export function loadFlows(paths: string[]): FlowSuite {
  const files: string[] = [];
  for (const target of paths) collect(target, files);
  const convos: Flow[] = [];
  const partials = new Map<string, Flow>();
  const utterances = new Map<string, Utterances>();
  for (const file of [...new Set(files)]) {
    const source = readFileSync(file, 'utf8');
    const kind = kindOf(file);
    if (kind === '.utterances.txt') {
      const parsed = parseUtterances(source, file);
      if (utterances.has(parsed.name)) throw new FlowError({ file, line: 1 }, `utterances "${parsed.name}" are defined twice (also in ${utterances.get(parsed.name)!.file})`);
      utterances.set(parsed.name, parsed);
    } else if (kind === '.pconvo.txt') {
      const parsed = parseConvo(source, file);
      if (partials.has(parsed.name)) throw new FlowError({ file, line: 1 }, `partial flow "${parsed.name}" is defined twice (also in ${partials.get(parsed.name)!.file})`);
      partials.set(parsed.name, parsed);
    } else convos.push(parseConvo(source, file));
  }
  const flows = convos.flatMap((flow) => {
    const steps = resolveIncludes(flow.steps, partials, []);
    steps.forEach((step) => checkNames(step, utterances));
    checkPageSteps(steps);
    return expandUtterances({ ...flow, steps }, utterances);
  });
  return { flows, utterances };
}

/** A line alone in its section shaped like KEYWORD_NAME is an utterance list's name, or a mistake. */
function checkNames(step: Step, utterances: Map<string, Utterances>): void {
  const text = step.kind === 'send' && step.inbound.type === 'text' ? step.inbound.text : step.kind === 'expect' ? step.text?.pattern : undefined;
  if (text && KEYWORD_SHAPE.test(text) && !utterances.has(text)) {
    throw new FlowError(step.kind === 'expect' && step.text ? step.text.at : step.at, `unknown keyword or utterances "${text}": no *.utterances.txt names it, and it is not a supported keyword`);
  }
}

function resolveIncludes(steps: Step[], partials: Map<string, Flow>, trail: string[]): Step[] {
  return steps.flatMap((step) => {
    if (step.kind !== 'include') return [step];
    const partial = partials.get(step.name);
    if (!partial) throw new FlowError(step.at, `no partial flow named "${step.name}" (a *.pconvo.txt whose first line is its name)`);
    if (trail.includes(step.name)) throw new FlowError(step.at, `"${step.name}" includes itself: ${[...trail, step.name].join(' → ')}`);
    return resolveIncludes(partial.steps, partials, [...trail, step.name]);
  });
}

/**
 * A flow whose #me names an utterance list runs once per phrasing; when it names several lists,
 * it runs as many times as the longest has phrasings, the shorter ones rotating alongside.
 */
function expandUtterances(flow: Flow, utterances: Map<string, Utterances>): Flow[] {
  const lists = flow.steps.flatMap((s) => (s.kind === 'send' && s.inbound.type === 'text' && utterances.has(s.inbound.text) ? [utterances.get(s.inbound.text)!] : []));
  if (lists.length === 0) return [flow];
  const longest = lists.reduce((a, b) => (b.phrasings.length > a.phrasings.length ? b : a));
  return longest.phrasings.map((phrasing, i) => ({
    ...flow,
    name: `${flow.name} [${phrasing}]`,
    steps: flow.steps.map((step) => {
      if (step.kind !== 'send' || step.inbound.type !== 'text') return step;
      const list = utterances.get(step.inbound.text);
      if (!list) return step;
      return { ...step, utterances: list.name, inbound: { ...step.inbound, text: list.phrasings[i % list.phrasings.length]! } };
    }),
  }));
}
