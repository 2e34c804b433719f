// Splits long text into pages that fit one WeChat text message, at the most natural boundary.

/** WeChat's limit for one text message, in bytes of UTF-8. */
export const MAX_TEXT_BYTES = 2048;

/** UTF-8 size, counted without encoding (no buffer per call: it runs for every line of every reply). */
export function byteLength(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/** The longest prefix of `text` (in whole code points) that fits in `maxBytes` of UTF-8. */
function prefixWithin(text: string, maxBytes: number): string {
  let bytes = 0;
  let end = 0;
  for (const char of text) {
    const size = byteLength(char);
    if (bytes + size > maxBytes) break;
    bytes += size;
    end += char.length;
  }
  return text.slice(0, end);
}

/** Where to cut `window` (a prefix of the remaining text): paragraph, then sentence, then word, else anywhere. */
function cutPoint(window: string): number {
  const half = window.length / 2;
  const paragraph = window.lastIndexOf('\n\n');
  if (paragraph >= half) return paragraph;
  let sentence = -1;
  for (const match of window.matchAll(/[.!?。！？](?=\s)|[。！？]/g)) sentence = match.index + match[0].length;
  if (sentence > 0) return sentence;
  if (paragraph > 0) return paragraph;
  const space = window.search(/\s\S*$/);
  if (space > 0) return space;
  return window.length;
}

/** Splits text into pages of at most `maxBytes` UTF-8 bytes each; no text is lost except whitespace at cuts. */
export function splitIntoPages(text: string, maxBytes: number): string[] {
  if (maxBytes < 4) throw new RangeError('maxBytes must leave room for at least one character');
  const pages: string[] = [];
  let rest = text.trim();
  while (byteLength(rest) > maxBytes) {
    const window = prefixWithin(rest, maxBytes);
    const cut = cutPoint(window);
    pages.push(rest.slice(0, cut).trim());
    rest = rest.slice(cut).trim();
  }
  if (rest) pages.push(rest);
  return pages;
}
