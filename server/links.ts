// Which links the simulator keeps and the chat window follows: a path on this server or an http(s) URL.
// Shared by the server's schemas and the chat window (client/src/format.ts), so both refuse the same links.
// It imports nothing, so the client bundle takes it as it is.

// Browsers read "\" as "/" and drop tabs and newlines inside URLs, so "/\evil.example" and "/\t/evil.example"
// leave the site; neither has a place in a link.
const UNSAFE_CHARACTER = /[\u0000-\u001f\u007f\\]/;
const SCHEME = /^[a-z][a-z0-9+.-]*:/i;
// The server checks paths against an origin of its own: what matters is that they stay on it.
const ANY_ORIGIN = 'http://origin.invalid';

/**
 * `url` as a link on a page of `origin` (as `location.origin` gives it) may point to it: a path that stays on `origin`, or an absolute
 * http(s) URL (normalised); undefined for anything else (other schemes, "//host", backslashes, control characters).
 */
export function linkTarget(url: string, origin: string): string | undefined {
  if (UNSAFE_CHARACTER.test(url)) return undefined;
  let resolved: URL;
  try {
    resolved = new URL(url, origin);
  } catch {
    return undefined;
  }
  if (SCHEME.test(url)) return resolved.protocol === 'http:' || resolved.protocol === 'https:' ? resolved.href : undefined;
  return url.startsWith('/') && resolved.origin === origin ? url : undefined;
}

/** What a link must be, for error messages. */
export const LINK_RULE = 'must be a path on this server or an http(s) URL, without backslashes or control characters';

/** Whether `url` is a link the server stores: a path on this server or an http(s) URL. */
export function isSafeLink(url: string): boolean {
  return linkTarget(url, ANY_ORIGIN) !== undefined;
}
