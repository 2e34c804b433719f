// The adapter every store file is written through: whole, synced, renamed; never half a file.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { DurableJSONFile } from '../server/store/durable-file.ts';
import { eachTestTempDir } from './helpers.ts';

describe('store: durable JSON files', () => {
  const tmp = eachTestTempDir();

  it('reads null for a missing file, then what it wrote, and leaves no temporary file behind', async () => {
    const file = new DurableJSONFile<{ n: number[] }>(path.join(tmp.dir, 'a.json'));
    expect(await file.read()).to.equal(null);
    await file.write({ n: [1, 2] });
    expect(await file.read()).to.deep.equal({ n: [1, 2] });
    expect(readFileSync(path.join(tmp.dir, 'a.json'), 'utf8')).to.equal('{"n":[1,2]}');
    expect(readdirSync(tmp.dir)).to.deep.equal(['a.json']);
  });

  it('pretty-prints when asked, for files people edit', async () => {
    await new DurableJSONFile(path.join(tmp.dir, 'b.json'), 2).write({ a: 1 });
    expect(readFileSync(path.join(tmp.dir, 'b.json'), 'utf8')).to.equal('{\n  "a": 1\n}');
  });

  it('keeps the old contents whole when a write fails', async () => {
    const target = path.join(tmp.dir, 'c.json');
    writeFileSync(target, '{"old":true}');
    mkdirSync(path.join(tmp.dir, '.c.json.tmp')); // the temporary file cannot be made: even root fails
    try {
      await new DurableJSONFile(target).write({ old: false });
      expect.fail('the write should have failed');
    } catch (err) {
      expect((err as NodeJS.ErrnoException).code).to.equal('EISDIR');
    }
    expect(readFileSync(target, 'utf8')).to.equal('{"old":true}');
  });

  it('throws on a file that is not JSON instead of reading it as empty', async () => {
    writeFileSync(path.join(tmp.dir, 'd.json'), '{"cut":');
    try {
      await new DurableJSONFile(path.join(tmp.dir, 'd.json')).read();
      expect.fail('should have thrown');
    } catch (err) {
      expect(err).to.be.instanceOf(SyntaxError);
    }
  });
});
