// Test helpers: the real app on a random port, real Socket.IO clients, temporary data folders.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { io as connectSocket, type Socket } from 'socket.io-client';
import { type App } from '../server/app/app.ts';
import type { AppOptions } from '../server/app/components.ts';
import { startApp } from '../server/app/start.ts';
import type { Content } from '../server/content/load-content.ts';
import { loadContent } from '../server/content/load-content.ts';
import type { ClientToServerEvents, Inbound, MessageAck, ReadyPayload, ServerToClientEvents, StoredMessage } from '../server/contract.ts';
import { silentLogger } from '../server/logger.ts';
import type { ChatStore } from '../server/store/chat-store.ts';
import { memoryStore } from '../server/store/low-store.ts';
import type { StoreLocation } from '../server/store/low-location.ts';

export const dataDir = path.resolve(import.meta.dirname, '..', 'data');

const contentFiles = () => ({
  accountFile: path.join(dataDir, 'account.json'),
  contentFile: path.join(dataDir, 'article.md'),
  rulesFile: path.join(dataDir, 'rules.json'),
});

/** The project's own content, as `npm start` loads it. */
export function seedContent(): Content {
  return loadContent(contentFiles());
}

/** The content `npm start --target … --name NAME` loads: the server under test's account, which makes its own menu. */
export function targetContent(name: string): Content {
  return loadContent({ ...contentFiles(), targetAccount: { name } });
}

export type Running = { app: App; url: string; close: () => Promise<void> };

/** Starts the real app on port 0 (in-memory store unless one is given); `options` overrides the rest. */
export async function startServer(store: ChatStore = memoryStore(), options: Partial<AppOptions> = {}): Promise<Running> {
  return startApp({ store, content: seedContent(), logger: silentLogger, ...options }, 0, '127.0.0.1');
}

export async function tempDir(): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'oa-sim-'));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** A fresh temporary folder for each test of the describe block it is called in, removed afterwards. */
export function eachTestTempDir(): { readonly dir: string; readonly dbFile: string; readonly journalFile: string } {
  let tmp: Awaited<ReturnType<typeof tempDir>> | undefined;
  beforeEach(async () => {
    tmp = await tempDir();
  });
  afterEach(() => tmp?.remove());
  return {
    get dir() {
      return tmp!.dir;
    },
    get dbFile() {
      return path.join(tmp!.dir, 'db.json');
    },
    get journalFile() {
      return path.join(tmp!.dir, 'db.journal');
    },
  };
}

/** `location` with a journal whose appends fail while `failure()` returns an error: a full or read-only disk. */
export function failingJournal(location: StoreLocation, failure: () => Error | undefined): StoreLocation {
  return {
    ...location,
    journal: () => {
      const inner = location.journal();
      return Object.assign(Object.create(inner) as typeof inner, {
        append: async (bytes: Buffer) => {
          const err = failure();
          if (err) throw err;
          await inner.append(bytes);
        },
      });
    },
  };
}

export type ChatSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** Connects a real Socket.IO client and waits for `ready`; `received` collects pushed messages. */
export async function connectUser(
  url: string,
  userId?: string,
  headers: Record<string, string> = {},
): Promise<{ socket: ChatSocket; ready: ReadyPayload; received: StoredMessage[] }> {
  const socket: ChatSocket = connectSocket(url, {
    auth: userId === undefined ? {} : { userId },
    transports: ['websocket'],
    forceNew: true,
    reconnection: false,
    extraHeaders: headers,
  });
  const received: StoredMessage[] = [];
  socket.on('message', (m) => received.push(m));
  const ready = await new Promise<ReadyPayload>((resolve, reject) => {
    socket.once('ready', resolve);
    socket.once('connect_error', reject);
  });
  return { socket, ready, received };
}

/** Sends an inbound message and resolves with the acknowledgement. */
export function send(socket: ChatSocket, inbound: unknown): Promise<MessageAck> {
  // Untyped on purpose: tests send what a misbehaving client would.
  return socket.timeout(5000).emitWithAck('message', inbound as Inbound);
}

/** Waits until `predicate` holds, polling; fails after `ms`. */
export async function until(predicate: () => boolean, ms = 3000): Promise<void> {
  const start = Date.now();
  while (!predicate()) {
    if (Date.now() - start > ms) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** The error `promise` rejects with; fails the test (outside any catch) when it resolves instead. */
export async function rejection(promise: Promise<unknown>, what = 'the promise'): Promise<any> {
  const outcome = await promise.then(
    (value) => ({ resolved: true as const, value }),
    (err: unknown) => ({ resolved: false as const, err }),
  );
  if (outcome.resolved) throw new Error(`${what} should have been refused, but resolved with ${JSON.stringify(outcome.value)}`);
  return outcome.err;
}

/** JSON over HTTP against the running server. */
export async function http(
  url: string,
  method: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: any; headers: Headers }> {
  const res = await fetch(url, {
    method,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, body: parsed, headers: res.headers };
}
