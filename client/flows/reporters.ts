// Turns flow results into what people and CI systems read: spec text, JSON, or JUnit XML.
import path from 'node:path';
import { diffWordsWithSpace } from 'diff';
import type { FlowResult } from './runner.ts';

export type ReporterName = 'spec' | 'json' | 'junit';
export const REPORTERS: ReporterName[] = ['spec', 'json', 'junit'];

const where = (result: FlowResult) => `${path.relative(process.cwd(), result.failure!.at.file)}:${result.failure!.at.line}`;

/** Expected and actual with the differing words marked: [-removed-] {+added+}. */
export function wordDiff(expected: string, actual: string): string {
  return diffWordsWithSpace(expected, actual)
    .map((part) => (part.added ? `{+${part.value}+}` : part.removed ? `[-${part.value}-]` : part.value))
    .join('');
}

const indent = (text: string, by: string) => text.split('\n').map((line) => by + line).join('\n');

// Past this length a word diff is more noise than help; expected and actual say it all.
const MAX_DIFF_CHARS = 400;

/** The failure of one flow, readable in a terminal. */
export function describeFailure(result: FlowResult): string {
  const f = result.failure!;
  const lines = [
    `step ${f.step} (${where(result)}): ${f.what}`,
    indent(f.expected, '  - expected: ').replace(/\n {2}- expected: /g, '\n              '),
    indent(f.actual, '  + actual:   ').replace(/\n {2}\+ actual: {3}/g, '\n              '),
  ];
  if (f.expected.length + f.actual.length <= MAX_DIFF_CHARS && !f.expected.includes('*')) {
    lines.push(`  diff: ${wordDiff(f.expected, f.actual).replace(/\n/g, '\n        ')}`);
  }
  return lines.join('\n');
}

export function specLine(result: FlowResult): string {
  return `  ${result.passed ? '✓' : '✗'} ${result.flow.name} (${result.durationMs} ms)`;
}

/** How long a run took, and how much of it at least one flow spent waiting for the server's rate limit. */
export type RunTimes = { durationMs: number; throttledMs: number };

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** The failures, then one closing line with the counts and the time. */
export function summary(results: FlowResult[], { durationMs, throttledMs }: RunTimes): string {
  const failed = results.filter((r) => !r.passed);
  const lines = [''];
  failed.forEach((result, i) => lines.push(`${i + 1}) ${result.flow.name}`, indent(describeFailure(result), '   '), ''));
  const throttled = throttledMs > 0 ? `, throttled ${seconds(throttledMs)} by the server's rate limit` : '';
  lines.push(`${results.length - failed.length} passing, ${failed.length} failing (${seconds(durationMs)}${throttled})`);
  return lines.join('\n');
}

export function toJson(results: FlowResult[], { durationMs, throttledMs }: RunTimes): string {
  return JSON.stringify(
    {
      stats: { flows: results.length, passed: results.filter((r) => r.passed).length, failed: results.filter((r) => !r.passed).length, durationMs, throttledMs },
      flows: results.map((r) => ({
        name: r.flow.name,
        file: r.flow.file,
        passed: r.passed,
        durationMs: r.durationMs,
        ...(r.failure ? { failure: r.failure } : {}),
      })),
    },
    null,
    2,
  );
}

const xml = (text: string) =>
  text
    // Characters XML 1.0 cannot carry at all.
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');

export function toJUnit(results: FlowResult[], durationMs: number): string {
  const failures = results.filter((r) => !r.passed).length;
  const cases = results.map((r) => {
    const attrs = `name="${xml(r.flow.name)}" classname="${xml(path.relative(process.cwd(), r.flow.file))}" time="${(r.durationMs / 1000).toFixed(3)}"`;
    if (r.passed) return `    <testcase ${attrs}/>`;
    const f = r.failure!;
    return [
      `    <testcase ${attrs}>`,
      `      <failure message="${xml(`step ${f.step}: ${f.what}`)}" type="${xml(f.what)}">${xml(describeFailure(r))}</failure>`,
      '    </testcase>',
    ].join('\n');
  });
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="flows" tests="${results.length}" failures="${failures}" time="${(durationMs / 1000).toFixed(3)}">`,
    `  <testsuite name="flows" tests="${results.length}" failures="${failures}" errors="0" skipped="0" time="${(durationMs / 1000).toFixed(3)}">`,
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}
