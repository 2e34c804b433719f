// One POST to the server under test, read as the platform reads it: a redirect is an unusable answer, never
// followed (it could point anywhere, internal addresses included); the body is capped while it arrives; one
// deadline covers the answer and its body together. Nothing here keeps more than MAX_BODY_BYTES of a reply.
import { MAX_BODY_BYTES } from '../limits.ts';

/** What came back: the status and body of a usable answer, or `error` (with what there was of the answer). */
export type RawAnswer = { status: number; body: string; error?: undefined } | { status?: number; body?: string; error: string };

/** Characters of a body kept in a message's trace: enough to see what the target said, bounded for GET /api/messages. */
export const MAX_TRACED_CHARS = 4096;

/** A body as stored in a trace: cut past MAX_TRACED_CHARS, and marked as cut. */
export function traced(body: string): string {
  return body.length <= MAX_TRACED_CHARS ? body : `${body.slice(0, MAX_TRACED_CHARS)}… [cut: ${body.length} characters in all]`;
}

const seconds = (ms: number) => (ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`);

/** Why a request got no answer, from the socket's own error (ECONNREFUSED 127.0.0.1:8080) rather than fetch's "fetch failed". */
function causeOf(err: unknown): string {
  const cause = (err as { cause?: unknown }).cause;
  if (cause instanceof AggregateError && !cause.message) return cause.errors.map((e: Error) => e.message).join('; ');
  if (cause instanceof Error) return cause.message || (cause as { code?: string }).code || cause.name;
  return (err as Error).message;
}

/** The start of an error body, on one line: usually the reason (the `wechat` middleware says "Invalid signature"). */
const gist = (body: string) => body.replace(/\s+/g, ' ').trim().slice(0, 120);

/** POSTs `body` (XML unless `headers` say otherwise) and reads the answer within `timeoutMs`, refusing redirects and bodies over MAX_BODY_BYTES. */
export async function postWithin(url: URL, body: string, timeoutMs: number, headers: Record<string, string> = { 'content-type': 'text/xml' }): Promise<RawAnswer> {
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(), timeoutMs);
  const timedOut = `timed out after ${seconds(timeoutMs)}`;
  try {
    let res: Response;
    try {
      res = await fetch(url, { method: 'POST', headers, body, redirect: 'manual', signal: deadline.signal });
    } catch (err) {
      return { error: deadline.signal.aborted ? timedOut : `request failed: ${causeOf(err)}` };
    }
    const { status } = res;
    if (status >= 300 && status < 400) {
      void res.body?.cancel().catch(() => {});
      return { status, error: `HTTP ${status}: a redirect, not followed (WeChat follows none)` };
    }
    let text: string;
    try {
      const read = await readCapped(res);
      if (read.overLimit) {
        deadline.abort(); // closes the connection: the rest is never read
        return { status, body: read.text, error: `reply over ${MAX_BODY_BYTES} bytes: not read further` };
      }
      text = read.text;
    } catch (err) {
      return { status, error: deadline.signal.aborted ? `${timedOut} (reading the body)` : `body not read: ${causeOf(err)}` };
    }
    if (status < 200 || status >= 300) return { status, body: text, error: gist(text) ? `HTTP ${status}: ${gist(text)}` : `HTTP ${status}` };
    return { status, body: text };
  } finally {
    clearTimeout(timer);
  }
}

/** The body as text, or its first MAX_BODY_BYTES and `overLimit` as soon as it has more. */
async function readCapped(res: Response): Promise<{ text: string; overLimit: boolean }> {
  const chunks: Buffer[] = [];
  let size = 0;
  if (res.body) {
    for await (const chunk of res.body) {
      const bytes = Buffer.from(chunk as Uint8Array);
      if (size + bytes.length > MAX_BODY_BYTES) {
        chunks.push(bytes.subarray(0, MAX_BODY_BYTES - size));
        return { text: Buffer.concat(chunks).toString('utf8'), overLimit: true };
      }
      chunks.push(bytes);
      size += bytes.length;
    }
  }
  return { text: Buffer.concat(chunks).toString('utf8'), overLimit: false };
}
