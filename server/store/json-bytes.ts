// Internal to the lowdb store: each message's JSON, made once when it is committed (by the chat service, see
// Commit.json). The journal line is built from those strings, and the newest segment of the user copies the
// bytes the journal wrote of them into one growing buffer (a JsonList) for its file, so a checkpoint copies
// bytes instead of serialising the messages again. Kept as bytes rather than strings: a Buffer's contents
// live outside the JS heap, so keeping them until the checkpoint costs the garbage collector nothing (kept
// strings, measured, cost more in collections than the serialising they saved); the strings themselves live
// only until the journal's write.
const COMMA = 0x2c;

/** The most bytes UTF-8 takes for one UTF-16 code unit (a surrogate pair takes 4 for 2 units). */
export const MAX_UTF8_PER_UNIT = 3;

/** Messages' JSON one after another, comma-separated: the inside of a JSON array, in one buffer that grows. */
export class JsonList {
  private buffer: Buffer;
  private used = 0;

  private constructor(capacity: number) {
    // Not from Node's shared pool: a kept slice of it would keep the whole 8 KiB pool alive.
    this.buffer = Buffer.allocUnsafeSlow(capacity);
  }

  static of(json: string[]): JsonList {
    const list = new JsonList(Math.max(1024, json.reduce((n, text) => n + Buffer.byteLength(text) + 1, 0)));
    list.append(json);
    return list;
  }

  /** A list that starts with `bytes`: JSON texts, comma-separated (what Journal.append resolves with). */
  static ofBytes(bytes: Buffer): JsonList {
    const list = new JsonList(Math.max(1024, bytes.length));
    list.appendBytes(bytes);
    return list;
  }

  /** Appends JSON texts already encoded, comma-separated, copying them. */
  appendBytes(bytes: Buffer): void {
    if (bytes.length === 0) return;
    this.separate(bytes.length);
    this.used += bytes.copy(this.buffer, this.used);
  }

  /**
   * Appends each JSON text, encoded as UTF-8 straight into the list's buffer. Room is made for the most the
   * text can take (as the journal's batch does), so its bytes are not counted before they are written.
   */
  append(json: string[]): void {
    for (const item of json) {
      this.separate(item.length * MAX_UTF8_PER_UNIT);
      this.used += this.buffer.write(item, this.used);
    }
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
