import { readFileSync } from 'node:fs';
import type { z } from 'zod';
import { describeIssues } from '../schemas.ts';
import { ContentError } from './content-error.ts';

/** The 1-based line of a JSON.parse error, when the engine reports a position or line. */
function lineOfParseError(source: string, err: Error): number | undefined {
  const line = /line (\d+)/.exec(err.message);
  if (line) return Number(line[1]);
  const position = /position (\d+)/.exec(err.message);
  if (position) return source.slice(0, Number(position[1])).split('\n').length;
  return undefined;
}

/** Reads a JSON content file and checks it against a schema; errors name the file and what is wrong. */
export function loadJsonFile<T>(file: string, schema: z.ZodType<T>): T {
  let source: string;
  try {
    source = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ContentError(file, undefined, `cannot read: ${(err as Error).message}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(source);
  } catch (err) {
    throw new ContentError(file, lineOfParseError(source, err as Error), `not valid JSON: ${(err as Error).message}`);
  }
  const result = schema.safeParse(data);
  if (!result.success) throw new ContentError(file, undefined, describeIssues(result.error));
  return result.data;
}
