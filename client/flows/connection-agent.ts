// The HTTP agent a run's WebSockets connect through: it asks the resolver once per host name for the whole
// run. Without it each flow's connection does its own lookup (getaddrinfo on the libuv pool, both address
// families for "localhost"), which a profile of 1 000 flows put at 8 % of the runner's busy time.
import { lookup as systemLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { Agent } from 'node:http';
import type { LookupFunction } from 'node:net';

type Answer = [error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number];

/** A `lookup` that remembers each successful answer (per host name and options) for as long as it lives. */
export function rememberingLookup(resolve: typeof systemLookup = systemLookup): LookupFunction {
  const answers = new Map<string, Promise<Answer>>();
  return (hostname, options: LookupOptions, callback) => {
    const key = `${hostname}\n${options.all === true}\n${options.family ?? 0}\n${options.hints ?? 0}`;
    let answer = answers.get(key);
    if (!answer) {
      answer = new Promise<Answer>((settle) =>
        resolve(hostname, options, (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => settle([error, address, family])),
      );
      answers.set(key, answer);
      // A failure is not remembered: the next connection asks again.
      void answer.then(([error]) => error && answers.delete(key));
    }
    void answer.then(([error, address, family]) => (callback as (...args: unknown[]) => void)(error, address, family));
  };
}

/** An agent for the run's connections (no keep-alive: each is upgraded to a WebSocket and kept by it). */
export function runAgent(): Agent {
  return new Agent({ lookup: rememberingLookup() });
}
