// `npm start` as a developer runs it (`npm start &`, later `kill $!`): stopping npm must stop the server too.
import { execFileSync, spawn } from 'node:child_process';
import { expect } from 'chai';
import { eachTestTempDir, until } from './helpers.ts';
import { cleanEnv, root } from './process-helpers.ts';

/** Every process below `pid` (children, grandchildren…), read from ps. */
function descendants(pid: number): number[] {
  const table = execFileSync('ps', ['-e', '-o', 'pid=,ppid='], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .map((line) => line.trim().split(/\s+/).map(Number) as [number, number]);
  const found: number[] = [];
  for (let parents = [pid]; parents.length > 0; ) {
    parents = table.filter(([, ppid]) => parents.includes(ppid)).map(([child]) => child);
    found.push(...parents);
  }
  return found;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('npm start', function () {
  this.timeout(90_000); // the script builds the client and the server before it serves
  const tmp = eachTestTempDir();

  it('stops the server when npm itself gets SIGTERM, leaving no process and nothing on the port', async () => {
    const npm = spawn('npm', ['start'], {
      cwd: root,
      env: cleanEnv({ PORT: '0', HOST: '127.0.0.1', DB_FILE: tmp.dbFile }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    npm.stdout.on('data', (chunk) => (output += chunk));
    npm.stderr.on('data', (chunk) => (output += chunk));
    const npmExited = new Promise((resolve) => npm.once('exit', resolve));
    let started: number[] = [];
    try {
      await until(() => /listening on http:\/\//.test(output) || npm.exitCode !== null, 80_000);
      const url = /listening on (http:\/\/[^"\s]+)/.exec(output)?.[1];
      expect(url, output).to.be.a('string');
      started = descendants(npm.pid!);
      expect(started, 'the server process under npm').to.not.be.empty;

      npm.kill('SIGTERM'); // npm alone, as `kill <npm's pid>` does
      await npmExited;
      await until(() => !started.some(alive), 10_000).catch(() => undefined);
      expect(started.filter(alive), 'processes npm started that are still running').to.deep.equal([]);
      const after = await fetch(`${url}/healthz`).then(
        () => 'still answering',
        () => 'closed',
      );
      expect(after).to.equal('closed');
    } finally {
      for (const pid of started.filter(alive)) process.kill(pid, 'SIGKILL'); // a failed run leaves nothing behind either
      if (npm.exitCode === null) npm.kill('SIGKILL');
    }
  });
});
