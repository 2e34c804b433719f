// Puts the bridge's <script> first in a page's <head>, leaving every other byte of the page as it was.

/** The end (just past ">") of the tag that starts at `start`, skipping ">" inside quoted attribute values. */
function tagEnd(html: string, start: number): number {
  let quote: string | undefined;
  for (let i = start + 1; i < html.length; i++) {
    const char = html[i];
    if (quote) {
      if (char === quote) quote = undefined;
    } else if (char === '"' || char === "'") quote = char;
    else if (char === '>') return i + 1;
  }
  return -1;
}

/**
 * `html` with `tag` inserted as the first thing in <head>: after the <head> start tag when there is one, else
 * where the head would start (after a doctype, comments and <html>), where the browser's parser puts it in the
 * head it makes. Undefined when the page ends before (a page cut short); the caller then sends it unchanged.
 */
export function insertFirstInHead(html: string, tag: string): string | undefined {
  let at = html.startsWith('\ufeff') ? 1 : 0;
  for (;;) {
    while (at < html.length && /\s/.test(html[at]!)) at++;
    const rest = html.slice(at, at + 16).toLowerCase();
    let end: number;
    if (rest.startsWith('<!--')) {
      const close = html.indexOf('-->', at + 4);
      end = close < 0 ? -1 : close + 3;
    } else if (rest.startsWith('<!doctype') || /^<html[\s>/]/.test(rest)) end = tagEnd(html, at);
    else if (/^<head[\s>/]/.test(rest)) {
      const headEnd = tagEnd(html, at);
      return headEnd < 0 ? undefined : html.slice(0, headEnd) + tag + html.slice(headEnd);
    } else return html.slice(0, at) + tag + html.slice(at);
    if (end < 0) return undefined;
    at = end;
  }
}
