// The package as another project gets it: `npm pack`, `npm install` of the tarball into a fresh project,
// then `npx wechat-oa-simulator` and `npx wechat-oa-simulator flows` run there, with no TypeScript tooling.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { cleanEnv, root } from './process-helpers.ts';

type Finished = { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string };
type Packed = { filename: string; size: number; unpackedSize: number; entryCount: number; files: { path: string }[] };

/** Runs a command to the end and collects what it printed. */
function exec(command: string, args: string[], cwd: string, env: Record<string, string> = {}): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** Starts a long-running command and waits until the server says where it listens. */
async function serve(command: string, args: string[], cwd: string) {
  const child = spawn(command, args, { cwd, env: cleanEnv({ PORT: '0', HOST: '127.0.0.1' }), stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const exited = new Promise<Pick<Finished, 'code' | 'signal'>>((resolve) => child.once('close', (code, signal) => resolve({ code, signal })));
  for (;;) {
    const match = /listening on (http:\/\/[^"\s]+)/.exec(output);
    if (match) return { child, url: match[1]!, output: () => output, exited };
    if (child.exitCode !== null) throw new Error(`${command} ${args.join(' ')} did not start:\n${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const PASSING_FLOW = 'Payment by keyword\n\n#me\npayment\n\n#bot\nCARDS Activate Mobile Payment\n';
const FAILING_FLOW = 'A card the article does not have\n\n#me\npayment\n\n#bot\nCARDS A section nobody wrote\n';
const AES_KEY = 'a'.repeat(43);

describe('the installed package (npm pack, npm install, npx)', function () {
  this.timeout(180_000); // one real `npm install` from the registry (or its cache) for the whole file
  let dir = '';
  let project = '';
  let packed: Packed;

  before(async function () {
    if (spawnSync('npm', ['--version'], { env: cleanEnv() }).error) {
      const message = 'npm is not available: the tests of the packed, installed command are skipped';
      if (process.env.CI) throw new Error(message);
      console.warn(`      ${message}`);
      this.skip();
    }
    dir = mkdtempSync(path.join(os.tmpdir(), 'wechat-oa-simulator-pack-'));
    const pack = await exec('npm', ['pack', '--json', '--pack-destination', dir], root);
    expect(pack.code, pack.stderr).to.equal(0);
    // prepack's build prints before npm's JSON
    packed = (JSON.parse(pack.stdout.slice(pack.stdout.search(/^\[/m))) as Packed[])[0]!;
    project = path.join(dir, 'my-bot');
    mkdirSync(project);
    writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'my-bot', version: '1.0.0', private: true }));
    const install = await exec('npm', ['install', '--save-dev', '--no-audit', '--no-fund', '--prefer-offline', path.join(dir, packed.filename)], project);
    expect(install.code, install.stderr).to.equal(0);
    mkdirSync(path.join(project, 'test-flows'));
    writeFileSync(path.join(project, 'test-flows', 'payment.convo.txt'), PASSING_FLOW);
    mkdirSync(path.join(project, 'failing-flows'));
    writeFileSync(path.join(project, 'failing-flows', 'missing.convo.txt'), FAILING_FLOW);
  });

  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('packs the built server, chat window and flow runner with the default data, and nothing else', () => {
    const files = packed.files.map((f) => f.path);
    expect(files).to.include.members([
      'package.json',
      'README.md',
      'bin/wechat-oa-simulator.js',
      'server/dist/main.js',
      'client/dist/index.html',
      'client/flows/dist/cli.js',
      'data/article.md',
      'data/account.json',
      'data/rules.json',
      'data/templates.example.json', // the TEMPLATES_FILE the documentation's example names
    ]);
    expect(files).to.include.members(['client/sdk/dist/index.js', 'client/sdk/dist/types/client/sdk/bot-client.d.ts']);
    expect(files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts')), 'TypeScript sources').to.deep.equal([]);
    expect(files.filter((f) => /^(test|bench|docs|\.ci)\//.test(f)), 'tests, benchmarks, screenshots').to.deep.equal([]);
    expect(files.filter((f) => /(^|\/)(db\.json|db\.users|db\.journal|db\.media)/.test(f)), 'store files').to.deep.equal([]);
    console.log(`      packed: ${packed.entryCount} files, ${Math.round(packed.size / 1024)} kB (${Math.round(packed.unpackedSize / 1024)} kB unpacked)`);
  });

  it('installs with its run-time dependencies only: no esbuild, tsx or TypeScript', () => {
    const installed = path.join(project, 'node_modules');
    expect(existsSync(path.join(installed, 'wechat-oa-simulator', 'server', 'dist', 'main.js'))).to.equal(true);
    expect(existsSync(path.join(installed, 'express'))).to.equal(true);
    for (const tool of ['esbuild', 'tsx', 'typescript']) expect(existsSync(path.join(installed, tool)), tool).to.equal(false);
    expect(JSON.parse(readFileSync(path.join(project, 'package.json'), 'utf8')).devDependencies).to.have.property('wechat-oa-simulator');
  });

  it('serves the chat window and the API with `npx wechat-oa-simulator` until SIGTERM', async () => {
    const server = await serve('npx', ['wechat-oa-simulator'], project);
    try {
      expect(await (await fetch(`${server.url}/healthz`)).json()).to.deep.equal({ status: 'ok' });
      const page = await fetch(server.url);
      expect(page.status).to.equal(200);
      expect(await page.text()).to.match(/<script[^>]+src="[^"]*app-[^"]+\.js"/);
      const article = (await (await fetch(`${server.url}/api/article`)).json()) as { title: string; sections: unknown[] };
      expect(article.title).to.equal('Tencent sets up the WeChat Business Group');
      expect(article.sections).to.have.length.above(3);
    } finally {
      server.child.kill('SIGTERM'); // npx alone, as `kill $!` in a CI script does: the command behind sh must stop too
    }
    await server.exited; // when the server has closed the output it shares with npx
    expect(server.output()).to.include('SIGTERM: finishing pending writes and closing');
    const after = await fetch(`${server.url}/healthz`).then(
      () => 'still answering',
      () => 'closed',
    );
    expect(after).to.equal('closed');
  });

  it('keeps its store in ./.wechat-oa-simulator of the folder it runs in, and exits 0 on SIGTERM', async () => {
    const server = await serve(path.join(project, 'node_modules', '.bin', 'wechat-oa-simulator'), [], project);
    const sent = await fetch(`${server.url}/api/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ userId: 'ci', type: 'text', text: 'payment' }),
    });
    expect(sent.status).to.equal(200);
    server.child.kill('SIGTERM');
    expect((await server.exited).code).to.equal(0);
    expect(existsSync(path.join(project, '.wechat-oa-simulator', 'db.json'))).to.equal(true);
    expect(existsSync(path.join(project, '.wechat-oa-simulator', 'db.users'))).to.equal(true);
    expect(existsSync(path.join(project, 'node_modules', 'wechat-oa-simulator', 'data', 'db.json'))).to.equal(false);
  });

  it('plays convo files with `npx wechat-oa-simulator flows`: exit 0 when they pass, 1 when one fails', async () => {
    const passing = await exec('npx', ['wechat-oa-simulator', 'flows', 'test-flows/'], project);
    expect(passing.code, passing.stdout + passing.stderr).to.equal(0);
    expect(passing.stdout).to.include('1 passing, 0 failing');
    const failing = await exec('npx', ['wechat-oa-simulator', 'flows', 'failing-flows/'], project);
    expect(failing.code, failing.stdout + failing.stderr).to.equal(1);
    expect(failing.stdout).to.include('A section nobody wrote');
  });

  it("exports the client SDK: `import { connect } from 'wechat-oa-simulator'` runs in JavaScript and type-checks in TypeScript", async () => {
    writeFileSync(
      path.join(project, 'sdk.mjs'),
      [
        "import { BotClient, BotClientError, connect } from 'wechat-oa-simulator';",
        'const bot = await connect({ url: process.argv[2] });',
        "const replies = await bot.say('payment');",
        'console.log(JSON.stringify({ client: bot instanceof BotClient, error: typeof BotClientError, reply: replies[0].type }));',
        'bot.close();',
      ].join('\n'),
    );
    const server = await serve(path.join(project, 'node_modules', '.bin', 'wechat-oa-simulator'), [], project);
    try {
      const run = await exec('node', ['sdk.mjs', server.url], project);
      expect(run.code, run.stderr).to.equal(0);
      expect(JSON.parse(run.stdout)).to.deep.equal({ client: true, error: 'function', reply: 'news' });
    } finally {
      server.child.kill('SIGTERM');
      await server.exited;
    }
    writeFileSync(
      path.join(project, 'sdk-check.mts'),
      [
        "import { connect, type BotClient, type StoredMessage } from 'wechat-oa-simulator';",
        "const bot: BotClient = await connect({ url: 'http://127.0.0.1:3000', retryRateLimited: true, onRateLimited: (ms: number) => void ms });",
        "const replies: StoredMessage[] = await bot.say('payment');",
        "export const from: 'user' | 'bot' | undefined = replies[0]?.from;",
        '// @ts-expect-error: the options are typed, so a number is no URL',
        'await connect({ url: 3000 });',
      ].join('\n'),
    );
    // The package's own declarations are checked too (no skipLibCheck), with nothing but the package installed.
    const compilerOptions = { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', lib: ['ES2022', 'DOM'], types: [], strict: true, noEmit: true };
    writeFileSync(path.join(project, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: ['sdk-check.mts'] }));
    const check = await exec(path.join(root, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.json'], project);
    expect(check.code, check.stdout + check.stderr).to.equal(0);
  });

  it("passes the flows command's target options to the simulator's configuration", async () => {
    const flows = await exec('npx', ['wechat-oa-simulator', 'flows', '--target', 'http://127.0.0.1:9/wechat', '--token', 'T', '--aes-key', AES_KEY, 'test-flows/'], project);
    expect(flows.code).to.equal(2);
    expect(flows.stderr).to.include('--aes-key needs --appid');
  });

  it('prints both usages and the version', async () => {
    const server = await exec('npx', ['wechat-oa-simulator', '--help'], project);
    expect(server.code).to.equal(0);
    for (const line of ['wechat-oa-simulator flows', '--target URL', '--secret SECRET', '--aes-key KEY', 'TARGET_TOKEN', 'DB_FILE', 'PORT']) {
      expect(server.stdout).to.include(line);
    }
    const flows = await exec('npx', ['wechat-oa-simulator', 'flows', '--help'], project);
    expect(flows.code).to.equal(0);
    for (const line of ['Usage: wechat-oa-simulator flows', '--target URL', '--appid APPID', '--secret SECRET', '--aes-key KEY', '--reporter']) {
      expect(flows.stdout).to.include(line);
    }
    const version = await exec('npx', ['wechat-oa-simulator', '--version'], project);
    expect(version.stdout.trim()).to.equal(JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')).version);
  });
});
