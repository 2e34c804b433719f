// What the developer panel and the logs may show of a platform call: never a secret, an access token or a
// refresh token (a web page's login for 30 days).

const HIDDEN = ['access_token', 'secret', 'refresh_token'];

/** A request URL (path and query) with the secret left out and the access_token dropped. */
export function redactUrl(url: string): string {
  // Most requests have no query: nothing to hide, and parsing would be most of what logging one costs.
  if (!url.includes('?')) return url;
  const parsed = new URL(url, 'http://x');
  if (!HIDDEN.some((name) => parsed.searchParams.has(name))) return url;
  parsed.searchParams.delete('access_token');
  for (const masked of ['secret', 'refresh_token']) if (parsed.searchParams.has(masked)) parsed.searchParams.set(masked, '***');
  return `${parsed.pathname}${parsed.search}`;
}

/** A JSON body with its `secret` (stable_token's) masked. */
export function redactBody(body: unknown): unknown {
  if (typeof body !== 'object' || body === null || !('secret' in body)) return body;
  return { ...body, secret: '***' };
}
