// `wechat-oa-simulator flows [--url URL | --target URL --token T ...] [--concurrency N] [--timeout MS] [--reporter R] [--out FILE] PATH...`
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { START_OPTIONS } from '../../server/start-options.ts';
import { FlowError } from './flow.ts';
import { loadFlows } from './load.ts';
import { REPORTERS, specLine, summary, toJson, toJUnit, type ReporterName } from './reporters.ts';
import { DEFAULT_CONCURRENCY, runFlows, throttleClock } from './runner.ts';

const USAGE = `Usage: wechat-oa-simulator flows [options] PATH...
(in this repository: npm run flows -- [options] PATH...)

Plays Botium convo files (*.convo.txt, with *.pconvo.txt and *.utterances.txt) against the bot.
PATH is a flow file or a folder of them. Flows that OPEN pages play them in the in-app browser of the
flow's chat window, in headless Chromium (CHROMIUM_PATH, default /usr/bin/chromium; never downloaded).

Options:
  --url URL          the server to test (default: start one in-process with a temporary store)
  --target URL       test an official-account server through the in-process simulator, which talks
                     to it as WeChat does (signed XML); the same target options as the server
                     command, each also an environment variable:
  --token TOKEN        TARGET_TOKEN    the token configured for --target (needed with it)
  --appid APPID        TARGET_APPID    the account's appid
  --secret SECRET      TARGET_SECRET   the account's AppSecret, for the platform API
  --aes-key KEY        TARGET_AES_KEY  the EncodingAESKey: push in safe mode (needs --appid)
                     The in-process simulator listens on a free port, or on PORT when set, so that
                     the server under test can be pointed at its platform API
                     (http://127.0.0.1:PORT/cgi-bin/).
  --concurrency N    flows played at once (default ${DEFAULT_CONCURRENCY})
  --timeout MS       how long to wait for each bot message, or for a page to say, show or load
                     what a page step needs (default 10000; 20000 with --target)
  --no-retry         fail a flow the server refuses with rate_limited, instead of waiting as long
                     as it says and sending again (the report says how long the run waited)
  --reporter NAME    spec (default), json or junit
  --out FILE         write the report to FILE instead of standard output
  --help             this text

Exit code: 0 when every flow passed, 1 when one failed, 2 for bad arguments or a malformed flow file.`;

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(2);
}

/** The target options given to this command, as readConfig takes them from the server's command line. */
function targetArgs(values: Record<string, unknown>): string[] {
  return Object.keys(START_OPTIONS).flatMap((name) => (typeof values[name] === 'string' ? [`--${name}`, values[name] as string] : []));
}

async function main(): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({
      allowPositionals: true,
      options: {
        ...START_OPTIONS,
        url: { type: 'string' },
        concurrency: { type: 'string', default: String(DEFAULT_CONCURRENCY) },
        'no-retry': { type: 'boolean', default: false },
        timeout: { type: 'string' },
        reporter: { type: 'string', default: 'spec' },
        out: { type: 'string' },
        help: { type: 'boolean', default: false },
      },
    });
  } catch (err) {
    fail(`${(err as Error).message}\n\n${USAGE}`);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (positionals.length === 0) fail(`No flows given.\n\n${USAGE}`);
  const reporter = values.reporter as ReporterName;
  if (!REPORTERS.includes(reporter)) fail(`--reporter must be one of ${REPORTERS.join(', ')}`);
  const concurrency = Number(values.concurrency);
  // Through a target, one answer may take the platform's three tries of 5 s each.
  const timeoutMs = Number(values.timeout ?? (values.target ? 20_000 : 10_000));
  if (!Number.isInteger(concurrency) || concurrency < 1) fail('--concurrency must be a whole number of at least 1');
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1) fail('--timeout must be a whole number of milliseconds');

  let suite;
  try {
    suite = loadFlows(positionals);
  } catch (err) {
    if (err instanceof FlowError) fail(err.message);
    throw err;
  }

  if (values.url && values.target) fail('--url and --target exclude each other: --target tests a WeChat server through a local simulator');
  let local;
  if (!values.url) {
    const { startLocalServer } = await import('./local-server.ts');
    try {
      local = await startLocalServer(targetArgs(values));
    } catch (err) {
      fail((err as Error).message);
    }
  }
  const url = values.url ?? local!.url;
  const live = reporter === 'spec' && !values.out;
  const throttle = throttleClock();
  const started = performance.now();
  const results = await runFlows(suite.flows, {
    url,
    concurrency,
    timeoutMs,
    utterances: suite.utterances,
    retryRateLimited: !values['no-retry'],
    onRateLimited: throttle.onRateLimited,
    onResult: live ? (r) => process.stdout.write(`${specLine(r)}\n`) : undefined,
  });
  const run = { durationMs: Math.round(performance.now() - started), throttledMs: throttle.throttledMs() };
  await local?.close();

  const report =
    reporter === 'json'
      ? toJson(results, run)
      : reporter === 'junit'
        ? toJUnit(results, run.durationMs)
        : `${live ? '' : `${results.map(specLine).join('\n')}\n`}${summary(results, run)}\n`;
  if (values.out) {
    writeFileSync(values.out, report);
    process.stdout.write(`${summary(results, run).trim()}\nreport written to ${values.out}\n`);
  } else process.stdout.write(report);
  process.exitCode = results.every((r) => r.passed) ? 0 : 1;
}

await main();
