// Parsing Botium's formats, and what the runner says when a flow fails.
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { FlowError } from '../client/flows/flow.ts';
import { loadFlows } from '../client/flows/load.ts';
import { parseConvo } from '../client/flows/parse.ts';
import { wildcardMatch } from '../client/flows/expectations.ts';
import { toConvo } from '../client/flows/write-convo.ts';
import { runFlows } from '../client/flows/runner.ts';
import { startServer, tempDir, type Running } from './helpers.ts';

const root = path.resolve(import.meta.dirname, '..');

/** Runs `npm run flows` without blocking this process, which may be serving the bot. */
function cli(...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'client/flows/cli.ts', ...args], { cwd: root });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

function writeFlows(dir: string, files: Record<string, string>): void {
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), content);
  }
}

function loadError(files: Record<string, string>, dir: string): FlowError {
  writeFlows(dir, files);
  try {
    loadFlows([dir]);
  } catch (err) {
    expect(err).to.be.instanceOf(FlowError);
    return err as FlowError;
  }
  return expect.fail('should have refused the flows');
}

describe('flow files: parsing', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  beforeEach(async () => {
    tmp = await tempDir();
  });
  afterEach(() => tmp.remove());

  it('reads a convo as Botium writes it: name, description, #begin/#end, multi-line text, negation, asserters', () => {
    const flow = parseConvo(
      'Greeting test\nChecks the greeting.\nTwo lines of description.\n\n#begin\n\n#me\nhello\n\n#bot\n!Goodbye\nTEXT_CONTAINS_ANY Hi|Hello\n!CARDS_COUNT >0\n\n#me\nline one\nline two\n\n#bot\nline one\n\nline three\n\n#end\n',
      'greet.convo.txt',
    );
    expect(flow.name).to.equal('Greeting test');
    expect(flow.description).to.equal('Checks the greeting.\nTwo lines of description.');
    expect(flow.steps.map((s) => s.kind)).to.deep.equal(['send', 'expect', 'send', 'expect']);
    const [, first, second, last] = flow.steps;
    expect(first).to.deep.include({ text: { pattern: 'Goodbye', not: true, at: { file: 'greet.convo.txt', line: 11 } } });
    expect((first as { asserters: unknown[] }).asserters).to.deep.equal([
      { name: 'TEXT_CONTAINS_ANY', args: ['Hi', 'Hello'], not: false, at: { file: 'greet.convo.txt', line: 12 } },
      { name: 'CARDS_COUNT', args: ['>0'], not: true, at: { file: 'greet.convo.txt', line: 13 } },
    ]);
    expect(second).to.deep.include({ inbound: { type: 'text', text: 'line one\nline two' } });
    expect((last as { text: { pattern: string } }).text.pattern).to.equal('line one\n\nline three');
  });

  it('reads BUTTON and EVENT under #me, and PAUSE anywhere', () => {
    const flow = parseConvo('F\n#me\nBUTTON section:games\n#me\nEVENT subscribe\n#me\nPAUSE 20\nhi\n#bot\nPAUSE 5\n*', 'f.convo.txt');
    expect(flow.steps.map((s) => (s.kind === 'send' ? s.inbound : s.kind === 'pause' ? s.ms : s.kind))).to.deep.equal([
      { type: 'event', event: 'click', key: 'section:games' },
      { type: 'event', event: 'subscribe' },
      20,
      { type: 'text', text: 'hi' },
      5,
      'expect',
    ]);
  });

  it('pulls in partial flows with #include NAME and INCLUDE NAME, from other folders too', () => {
    writeFlows(tmp.dir, {
      'main.convo.txt': 'Main\n\n#include Greet\n\n#me\nINCLUDE Ask games\n',
      'partials/greet.pconvo.txt': 'Greet\n\n#me\nhi\n\n#bot\n*\n',
      'partials/games.pconvo.txt': 'Ask games\n\n#me\ngames\n\n#bot\nCARDS *games\n',
    });
    const { flows } = loadFlows([tmp.dir]);
    expect(flows).to.have.length(1);
    expect(flows[0]!.steps.map((s) => (s.kind === 'send' && s.inbound.type === 'text' ? s.inbound.text : s.kind))).to.deep.equal(['hi', 'expect', 'games', 'expect']);
  });

  it('runs a flow once per phrasing of the utterances it names', () => {
    writeFlows(tmp.dir, {
      'u.utterances.txt': 'UTT_PAY\npayment\n支付\nWeChat Pay\n',
      'f.convo.txt': 'Pay\n#me\nUTT_PAY\n#bot\nCARDS *Payment\n',
    });
    const { flows } = loadFlows([tmp.dir]);
    expect(flows.map((f) => f.name)).to.deep.equal(['Pay [payment]', 'Pay [支付]', 'Pay [WeChat Pay]']);
  });

  const broken: Array<[string, Record<string, string>, RegExp]> = [
    ['an unknown asserter', { 'a.convo.txt': 'A\n#me\nhi\n#bot\nTEXT_SOUNDS_LIKE hello\n' }, /a\.convo\.txt:5: unknown or unsupported keyword "TEXT_SOUNDS_LIKE"/],
    ['an unknown keyword under #me', { 'a.convo.txt': 'A\n\n#me\nSEND_LOCATION 1|2\n' }, /a\.convo\.txt:4: unknown or unsupported keyword "SEND_LOCATION"/],
    ['an utterance list no file defines', { 'a.convo.txt': 'A\n\n#me\nUTT_MISSING\n' }, /a\.convo\.txt:4: unknown keyword or utterances "UTT_MISSING"/],
    ['an unsupported Botium keyword', { 'a.convo.txt': 'A\n#me\nhi\n#bot\nINTENT greeting\n' }, /a\.convo\.txt:5: unknown or unsupported keyword "INTENT"/],
    ['a picture to send given as a file name', { 'a.convo.txt': 'A\n#me\nMEDIA cat.png\n' }, /a\.convo\.txt:3: MEDIA under #me sends a picture by its URL/],
    ['a missing include', { 'a.convo.txt': 'A\n#me\nhi\n#include Nowhere\n' }, /a\.convo\.txt:4: no partial flow named "Nowhere"/],
    ['a circular include', { 'a.convo.txt': 'A\n#include P\n', 'p.pconvo.txt': 'P\n#me\nhi\n#include P\n' }, /p\.pconvo\.txt:4: "P" includes itself: P → P/],
    ['an unknown section', { 'a.convo.txt': 'A\n#user\nhi\n' }, /a\.convo\.txt:2: unknown section "#user"/],
    ['an empty #me', { 'a.convo.txt': 'A\n#me\n\n#bot\nx\n' }, /a\.convo\.txt:2: #me has nothing to send/],
    ['text and a button in one #me', { 'a.convo.txt': 'A\n#me\nhello\nBUTTON help\n' }, /a\.convo\.txt:4: a #me section sends one thing/],
    ['a bad PAUSE', { 'a.convo.txt': 'A\n#me\nPAUSE soon\n' }, /a\.convo\.txt:3: PAUSE needs one whole number/],
    ['a bad EVENT', { 'a.convo.txt': 'A\n#me\nEVENT explode\n' }, /a\.convo\.txt:3: EVENT needs/],
    ['an empty file', { 'a.convo.txt': '\n\n' }, /a\.convo\.txt:1: the first line must be the name/],
    ['an utterances file with no phrasings', { 'u.utterances.txt': 'UTT_X\n\n' }, /u\.utterances\.txt:1: utterances "UTT_X" list no phrasings/],
    ['an asserter under #me', { 'a.convo.txt': 'A\n#me\nCARDS x\n' }, /a\.convo\.txt:3: CARDS checks what the bot says; put it under #bot/],
  ];
  for (const [what, files, message] of broken) {
    it(`refuses ${what}, naming the file, the line and the reason`, () => {
      expect(loadError(files, tmp.dir).message).to.match(message);
    });
  }

  it('refuses a path that is not there', () => {
    expect(() => loadFlows([path.join(tmp.dir, 'nope')])).to.throw(FlowError, /no such file or folder/);
  });

  it('matches as Botium does by default: contained, * for anything, any case', () => {
    expect(wildcardMatch('welcome to', 'Hi! Welcome to the account')).to.equal(true);
    expect(wildcardMatch('Welcome*account', 'Welcome to the account')).to.equal(true);
    expect(wildcardMatch('a.b (c)', 'x a.b (c) y')).to.equal(true);
    expect(wildcardMatch('a.b', 'axb')).to.equal(false);
    expect(wildcardMatch('Goodbye', 'Welcome')).to.equal(false);
  });
});

describe('flow files: running and reporting', function () {
  this.timeout(60_000); // several tests start the command (and TypeScript) more than once; slow on a busy machine
  let server: Running;
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  before(async () => {
    server = await startServer();
  });
  after(() => server.close());
  beforeEach(async () => {
    tmp = await tempDir();
  });
  afterEach(() => tmp.remove());

  it('reports the step, what was expected and what the bot said', async () => {
    writeFlows(tmp.dir, { 'wrong.convo.txt': 'Wrong answer\n\n#me\npayment\n\n#bot\nCARDS Activate Mobile Payment\n\n#me\nhelp\n\n#bot\nThis is not what the bot says\n' });
    const { flows, utterances } = loadFlows([tmp.dir]);
    const [result] = await runFlows(flows, { url: server.url, utterances });
    expect(result!.passed).to.equal(false);
    expect(result!.failure).to.deep.include({ step: 4, what: 'text', expected: 'This is not what the bot says' });
    expect(result!.failure!.at).to.deep.equal({ file: path.join(tmp.dir, 'wrong.convo.txt'), line: 13 });
    expect(result!.failure!.actual).to.match(/^How to use/);
  });

  it('fails a flow that waits for a message the bot never sends', async () => {
    writeFlows(tmp.dir, { 'silent.convo.txt': 'Silent\n#me\nEVENT unsubscribe\n#bot\nAnything\n' });
    const { flows } = loadFlows([tmp.dir]);
    const [result] = await runFlows(flows, { url: server.url, timeoutMs: 300 });
    expect(result!.failure).to.deep.include({ what: 'a bot message', actual: '(nothing within 300 ms)' });
  });

  it('npm run flows: a wrong flow prints a readable diff and exits non-zero; JUnit and JSON reports for CI', async () => {
    writeFlows(tmp.dir, {
      'good.convo.txt': 'Good\n#me\n游戏\n#bot\nCARDS *mobile games\n',
      'bad.convo.txt': 'Bad\n#me\nmore\n#bot\nThere is nothing else to read\n',
    });
    const spec = await cli(tmp.dir);
    expect(spec.status).to.equal(1);
    expect(spec.stdout).to.include('✓ Good').and.include('✗ Bad');
    expect(spec.stdout).to.match(/step 2 \(.*bad\.convo\.txt:5\): text/);
    expect(spec.stdout).to.include('- expected: There is nothing else to read').and.include('+ actual:   There is nothing more to read right now.');
    expect(spec.stdout).to.include('There is nothing [-else-]{+more+} to read');
    expect(spec.stdout).to.match(/^1 passing, 1 failing \(/m);

    const junitFile = path.join(tmp.dir, 'report.xml');
    const junit = await cli('--reporter', 'junit', '--out', junitFile, '--concurrency', '2', tmp.dir);
    expect(junit.status).to.equal(1);
    const xml = readFileSync(junitFile, 'utf8');
    expect(xml).to.match(/<testsuite name="flows" tests="2" failures="1"/);
    expect(xml).to.match(/<testcase name="Bad" [^>]*>\s*<failure message="step 2: text"/);

    const json = await cli('--reporter', 'json', path.join(tmp.dir, 'good.convo.txt'));
    expect(json.status).to.equal(0);
    expect(JSON.parse(json.stdout).stats).to.deep.include({ flows: 1, passed: 1, failed: 0 });

    const usage = await cli('--reporter', 'tap', tmp.dir);
    expect(usage.status).to.equal(2);
    expect(usage.stderr).to.match(/--reporter must be one of spec, json, junit/);
  });

  it('npm run flows --url plays against a running server', async () => {
    writeFlows(tmp.dir, { 'good.convo.txt': 'Good\n#me\nhelp\n#bot\nHow to use\n' });
    const run = await cli('--url', server.url, tmp.dir);
    expect(run.status, run.stdout + run.stderr).to.equal(0);
    expect(run.stdout).to.match(/1 passing, 0 failing/);
    // Said once, on one line: not a second "passed, failed" summary under the first.
    expect(run.stdout.match(/\b1 pass/g)).to.have.length(1);
  });

  it('npm run flows --url: a suite over the server\'s address limit waits as told, passes, and says how long it was throttled', async () => {
    // 6 flows: 6 connections and 12 messages, against a budget of 6 requests a second.
    const limited = await startServer(undefined, { security: { rateLimits: { perAddress: { points: 6, seconds: 1 } }, socketsPerUser: Infinity, corsOrigins: [] } });
    try {
      writeFlows(tmp.dir, Object.fromEntries(Array.from({ length: 6 }, (_, i) => [`f${i}.convo.txt`, `F${i}\n#me\nhelp\n#bot\nHow to use\n#me\nlist\n#bot\n1. Introduction\n`])));
      const run = await cli('--url', limited.url, '--reporter', 'json', tmp.dir);
      expect(run.status, run.stdout + run.stderr).to.equal(0);
      const { stats } = JSON.parse(run.stdout);
      expect(stats).to.deep.include({ flows: 6, passed: 6, failed: 0 });
      expect(stats.throttledMs).to.be.greaterThan(0);
      const spec = await cli('--url', limited.url, tmp.dir);
      expect(spec.stdout).to.match(/^6 passing, 0 failing \(\d+\.\d s, throttled \d+\.\d s by the server's rate limit\)$/m);
    } finally {
      await limited.close();
    }
  });
});

describe('flow files: writing a conversation as a convo', () => {
  const base = { userId: 'u', createdAt: '2026-01-01T00:00:00.000Z' };
  it('writes #me and #bot sections that parse back to the same steps', () => {
    const convo = toConvo('Recorded', [
      { ...base, id: '1', from: 'bot', type: 'text', text: 'Welcome!\n\n#1 on the list\nBye' },
      { ...base, id: '2', from: 'user', type: 'text', text: '!important' },
      { ...base, id: '3', from: 'user', type: 'event', event: 'click', key: 'section:games' },
      { ...base, id: '4', from: 'user', type: 'event', event: 'subscribe' },
      { ...base, id: '5', from: 'bot', type: 'news', articles: [{ title: 'A | B', description: '', url: '/x' }, { title: 'C', description: '', url: '/y' }] },
    ]);
    const flow = parseConvo(convo, 'recorded.convo.txt');
    expect(flow.name).to.equal('Recorded');
    const [welcome, text, click, subscribe, news] = flow.steps;
    expect(welcome).to.deep.include({ kind: 'expect' });
    const pattern = (welcome as { text: { pattern: string } }).text.pattern;
    expect(wildcardMatch(pattern, 'Welcome!\n\n#1 on the list\nBye')).to.equal(true);
    expect(text).to.deep.include({ inbound: { type: 'text', text: '!important' } });
    expect(click).to.deep.include({ inbound: { type: 'event', event: 'click', key: 'section:games' } });
    expect(subscribe).to.deep.include({ inbound: { type: 'event', event: 'subscribe' } });
    expect((news as { asserters: Array<{ name: string; args: string[] }> }).asserters.map((a) => [a.name, a.args])).to.deep.equal([
      ['CARDS', ['A * B', 'C']],
      ['CARDS_COUNT', ['2']],
    ]);
  });
});
