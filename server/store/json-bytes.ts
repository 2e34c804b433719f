// Internal to the lowdb store: each message's JSON, made once when it is committed (by the chat service, see
// Commit.json). The journal line is built from those strings, and the user's segment copies the bytes the
// journal wrote of them into one growing buffer (a JsonList) for its file, so a checkpoint copies bytes
// instead of serialising the messages again. The segments in memory keep only these bytes and the messages'
// ids, not the messages: a Buffer's contents live outside the JS heap, so keeping them until the checkpoint
// costs the garbage collector nothing (kept strings or objects, measured, cost more in collections than
// reading a message back when history asks for it); the strings themselves live only until the journal's write.
const COMMA = 0x2c;

/** The most bytes UTF-8 takes for one UTF-16 code unit (a surrogate pair takes 4 for 2 units). */
export const MAX_UTF8_PER_UNIT = 3;

/** JSON texts as UTF-8, comma-separated (the inside of a JSON array), and where each ends (exclusive, from the start). */
export type JsonBytes = { bytes: Buffer; ends: number[] };

/** The bytes of JSON texts, as the journal writes them (for texts that did not come from a journal write). */
export function jsonBytes(texts: string[]): JsonBytes {
  const list = JsonList.of(texts);
  return { bytes: list.bytes, ends: list.ends };
}

/**
 * Messages' JSON one after another, comma-separated: the inside of a JSON array, in one buffer that grows,
 * with where each ends, so that one can be read (or replaced) without parsing the others.
 */
export class JsonList {
  private buffer: Buffer;
  private used = 0;
  /** Where each item ends, exclusive; the next starts one byte later, past the comma. */
  readonly ends: number[] = [];

  private constructor(capacity: number) {
    // Not from Node's shared pool: a kept slice of it would keep the whole 8 KiB pool alive.
    this.buffer = Buffer.allocUnsafeSlow(capacity);
  }

  static of(json: string[]): JsonList {
    const list = new JsonList(Math.max(1024, json.reduce((n, text) => n + Buffer.byteLength(text) + 1, 0)));
    list.append(json);
    return list;
  }

  /** A list that starts with `json`'s texts (what Journal.append resolves with). */
  static ofBytes(json: JsonBytes): JsonList {
    const list = new JsonList(Math.max(1024, json.bytes.length));
    list.appendBytes(json);
    return list;
  }

  get length(): number {
    return this.ends.length;
  }

  /** Appends JSON texts already encoded, copying them. */
  appendBytes({ bytes, ends }: JsonBytes): void {
    if (ends.length === 0) return;
    this.separate(bytes.length);
    const base = this.used;
    this.used += bytes.copy(this.buffer, this.used);
    for (const end of ends) this.ends.push(base + end);
  }

  /**
   * Appends each JSON text, encoded as UTF-8 straight into the list's buffer. Room is made for the most the
   * text can take (as the journal's batch does), so its bytes are not counted before they are written.
   */
  append(json: string[]): void {
    for (const item of json) {
      this.separate(item.length * MAX_UTF8_PER_UNIT);
      this.used += this.buffer.write(item, this.used);
      this.ends.push(this.used);
    }
  }

  /** Item `i`'s text. */
  text(i: number): string {
    return this.buffer.toString('utf8', i === 0 ? 0 : this.ends[i - 1]! + 1, this.ends[i]);
  }

  /** Puts `json` in item `i`'s place: the items after it move. */
  replace(i: number, json: string): void {
    const start = i === 0 ? 0 : this.ends[i - 1]! + 1;
    const end = this.ends[i]!;
    const after = Buffer.from(this.buffer.subarray(end, this.used)); // copied: the write below may cover it
    const text = Buffer.from(json);
    const most = start + text.length + after.length;
    if (most > this.buffer.length) {
      const grown = Buffer.allocUnsafeSlow(Math.max(most, this.buffer.length * 2));
      this.buffer.copy(grown, 0, 0, start);
      this.buffer = grown;
    }
    text.copy(this.buffer, start);
    after.copy(this.buffer, start + text.length);
    this.used = most;
    const shift = text.length - (end - start);
    for (let j = i; j < this.ends.length; j++) this.ends[j] = this.ends[j]! + shift;
  }

  /** Makes room for a comma and `bytes` more (growing the buffer at least twofold), and writes the comma after a first text. */
  private separate(bytes: number): void {
    const most = this.used + 1 + bytes;
    if (most > this.buffer.length) {
      const grown = Buffer.allocUnsafeSlow(Math.max(most, this.buffer.length * 2));
      this.buffer.copy(grown, 0, 0, this.used);
      this.buffer = grown;
    }
    if (this.used > 0) this.buffer[this.used++] = COMMA;
  }

  /** The bytes so far (a view: it changes as the list grows). */
  get bytes(): Buffer {
    return this.buffer.subarray(0, this.used);
  }
}
