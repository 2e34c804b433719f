// A load generator, run as its own process: N users, each sending text and waiting for the ack before
// the next. Prints `measuring` when the warm-up ends, then one JSON line: throughput, latency percentiles
// (HDR histogram) and its own CPU use.
import { build } from 'hdr-histogram-js';
import { io, type Socket } from 'socket.io-client';

export type LoadOptions = { url: string; users: number; warmupMs: number; durationMs: number; userPrefix: string; waitForReady: boolean };
export type LoadResult = {
  users: number;
  messages: number;
  errors: number;
  msgsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** This process's CPU time over the measured window, as a share of one core. */
  cpuPercent: number;
};

// What people ask the bot: keywords, numbers, commands, questions, a miss.
const TEXTS = ['payment', '支付', 'games', '游戏', 'e-commerce', '3', 'help', 'list', 'Who is Liu Hantao?', 'more', 'xyzzy'];

function connectUser(options: LoadOptions, i: number): Promise<Socket> {
  const socket = io(options.url, {
    auth: { userId: `${options.userPrefix}${i}` },
    transports: ['websocket'],
    forceNew: true,
    reconnection: false,
    timeout: 30_000,
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`user ${i}: no ${options.waitForReady ? 'ready' : 'connect'} within 30 s`)), 30_000);
    socket.once(options.waitForReady ? 'ready' : 'connect', () => {
      clearTimeout(timer);
      resolve(socket);
    });
    socket.once('connect_error', reject);
  });
}

async function run(options: LoadOptions): Promise<LoadResult> {
  const sockets: Socket[] = [];
  // Connect in batches: a thousand handshakes at once would measure the handshake, not the chat.
  for (let i = 0; i < options.users; i += 50) {
    const batch = await Promise.all(Array.from({ length: Math.min(50, options.users - i) }, (_, j) => connectUser(options, i + j)));
    sockets.push(...batch);
  }
  const histogram = build({ lowestDiscernibleValue: 1, highestTrackableValue: 120_000_000, numberOfSignificantValueDigits: 3 });
  const start = performance.now();
  const measureFrom = start + options.warmupMs;
  const end = measureFrom + options.durationMs;
  let messages = 0;
  let errors = 0;
  let cpuAtStart: NodeJS.CpuUsage | undefined;
  const user = async (socket: Socket, u: number) => {
    for (let n = u; performance.now() < end; n++) {
      const sent = performance.now();
      try {
        const ack = (await socket.timeout(30_000).emitWithAck('message', { type: 'text', text: TEXTS[n % TEXTS.length] })) as { ok: boolean };
        if (!ack.ok) errors++;
      } catch {
        errors++;
      }
      const done = performance.now();
      if (sent >= measureFrom && done <= end) {
        histogram.recordValue(Math.max(1, Math.round((done - sent) * 1000)));
        messages++;
      }
    }
  };
  setTimeout(() => {
    cpuAtStart = process.cpuUsage();
    process.stdout.write('measuring\n');
  }, options.warmupMs);
  await Promise.all(sockets.map(user));
  const cpu = process.cpuUsage(cpuAtStart);
  sockets.forEach((s) => s.close());
  const seconds = options.durationMs / 1000;
  return {
    users: options.users,
    messages,
    errors,
    msgsPerSec: Math.round(messages / seconds),
    p50Ms: histogram.getValueAtPercentile(50) / 1000,
    p99Ms: histogram.getValueAtPercentile(99) / 1000,
    maxMs: histogram.maxValue / 1000,
    cpuPercent: Math.round(((cpu.user + cpu.system) / 1000 / options.durationMs) * 100),
  };
}

const options = JSON.parse(process.argv[2] ?? '{}') as LoadOptions;
process.stdout.write(`${JSON.stringify(await run(options))}\n`);
process.exit(0);
