// The real `npm start` entry point (the built bundle) in a child process, for process-level tests.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { serverEntry } from '../server/build.ts';

export const root = path.resolve(import.meta.dirname, '..');

/**
 * The environment a command gets in someone else's shell: without the npm_* settings npm gives the scripts it runs
 * (npm_config_local_prefix names this repository) and without mocha's NODE_OPTIONS (which load tsx).
 */
export const cleanEnv = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({
  ...Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^npm_/i.test(name) && name !== 'INIT_CWD' && name !== 'NODE_OPTIONS')),
  ...extra,
});

export type Process = { child: ChildProcess; output: () => string; exited: Promise<number | null> };
export type Started = Process & { url: string };

/** Runs the built server (buildServer() first) with `env` on top of a random port and loopback. */
export function run(env: Record<string, string>): Process {
  const child = spawn(process.execPath, ['--enable-source-maps', serverEntry], {
    cwd: root,
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

/** Runs the server and waits until it says where it listens. */
export async function start(env: Record<string, string>): Promise<Started> {
  const started = run(env);
  const deadline = Date.now() + 15_000;
  for (;;) {
    const match = /listening on (http:\/\/[^"\s]+)/.exec(started.output());
    if (match) return { ...started, url: match[1]! };
    if (Date.now() > deadline || started.child.exitCode !== null) {
      throw new Error(`server did not start:\n${started.output()}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** SIGTERM, and the exit code. */
export async function stop(server: Process): Promise<number | null> {
  server.child.kill('SIGTERM');
  return server.exited;
}
