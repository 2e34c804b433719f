// The suite the flows benchmark plays: `count` convo files of three messages each, every answer plain text,
// so that Botium's simplerest connector (which reads the replies' text) and our runner check the same thing.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

const STEPS = [
  ['help', 'How to use'],
  ['list', '1. Introduction'],
  ['帮助', 'How to use'],
] as const;

/** Writes the suite into `dir` (created if need be); returns the number of files. */
export async function writeFlowSuite(dir: string, count: number): Promise<number> {
  await mkdir(dir, { recursive: true });
  const body = STEPS.map(([say, expect]) => `#me\n${say}\n\n#bot\n${expect}\n`).join('\n');
  for (let i = 0; i < count; i++) {
    const name = `flow-${String(i).padStart(4, '0')}`;
    await writeFile(path.join(dir, `${name}.convo.txt`), `${name}\n\n${body}`);
  }
  return count;
}
