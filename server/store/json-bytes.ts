// Internal to the lowdb store: each message's JSON, made once when it is committed, as UTF-8 bytes. The
// journal line is built from these bytes, and the newest segment of the user keeps them (in a JsonList) for
// its file, so a checkpoint copies bytes instead of serialising the messages again. Bytes rather than strings:
// a Buffer's contents live outside the JS heap, so keeping them until the checkpoint costs the garbage
// collector nothing (kept strings, measured, cost more in collections than the serialising they saved).
import type { StoredMessage } from '../contract.ts';

/** Each message's JSON, as UTF-8: from `json` when the caller made it already (Commit.json). */
export function encodeMessages(messages: StoredMessage[], json?: string[]): Buffer[] {
  return messages.map((m, i) => Buffer.from(json?.[i] ?? JSON.stringify(m)));
}

const COMMA = 0x2c;

/** Messages' JSON one after another, comma-separated: the inside of a JSON array, in one buffer that grows. */
export class JsonList {
  private buffer: Buffer;
  private used = 0;

  private constructor(capacity: number) {
    // Not from Node's shared pool: a kept slice of it would keep the whole 8 KiB pool alive.
    this.buffer = Buffer.allocUnsafeSlow(capacity);
  }

  static of(json: Buffer[]): JsonList {
    const list = new JsonList(Math.max(1024, json.reduce((n, b) => n + b.length + 1, 0)));
    list.append(json);
    return list;
  }

  append(json: Buffer[]): void {
    for (const item of json) {
      const needed = this.used + 1 + item.length;
      if (needed > this.buffer.length) {
        const grown = Buffer.allocUnsafeSlow(Math.max(needed, this.buffer.length * 2));
        this.buffer.copy(grown, 0, 0, this.used);
        this.buffer = grown;
      }
      if (this.used > 0) this.buffer[this.used++] = COMMA;
      this.used += item.copy(this.buffer, this.used);
    }
  }

  /** The bytes so far (a view: it changes as the list grows). */
  get bytes(): Buffer {
    return this.buffer.subarray(0, this.used);
  }
}
