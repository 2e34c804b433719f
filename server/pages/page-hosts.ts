// The host name a proxied web origin gets under the pages domain, and back: http://localhost:8080 is served as
// http://localhost-8080.pages.localhost:<simulator port>/. One DNS label per origin, so that every origin keeps
// an origin (cookies, storage, the same-origin policy) of its own, apart from the chat window's.
//
// The label: the host with "-" doubled and "." as "-", then "-<port>", then "-s" for https. Host labels never
// start or end with "-", so in a label a single "-" is a dot or a separator and a run of 2k hyphens is k hyphens:
// the encoding reverses without ambiguity.

/** Chromium and Firefox resolve every name under .localhost to loopback, without DNS. */
export const DEFAULT_PAGES_HOST = 'pages.localhost';

/** Longest DNS label; browsers refuse longer ones. */
const MAX_LABEL = 63;
const HOST_NAME = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/;

/** The label for a web origin (http or https, a host name or IPv4 address), or why it has none. */
export function labelOf(origin: string): { label: string } | { problem: string } {
  if (!URL.canParse(origin)) return { problem: `"${origin}" is not a URL` };
  const url = new URL(origin);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return { problem: `only http and https pages open in the in-app browser, not ${url.protocol}` };
  if (!HOST_NAME.test(url.hostname)) return { problem: `the host "${url.hostname}" cannot be served under the pages domain (IPv6 addresses and unusual names cannot)` };
  const https = url.protocol === 'https:';
  const port = url.port || (https ? '443' : '80');
  const label = `${url.hostname.replace(/-/g, '--').replace(/\./g, '-')}-${port}${https ? '-s' : ''}`;
  if (label.length > MAX_LABEL) return { problem: `the host "${url.hostname}" is too long to be one label under the pages domain (at most ${MAX_LABEL} characters in all)` };
  return { label };
}

/** The web origin a label stands for, or undefined when it is not a label `labelOf` makes. */
export function originOfLabel(label: string): string | undefined {
  const parts: string[] = [];
  let current = '';
  for (const run of label.toLowerCase().split(/(-+)/)) {
    if (!run.startsWith('-')) current += run;
    else if (run.length === 1) {
      parts.push(current);
      current = '';
    } else if (run.length % 2 === 0) current += '-'.repeat(run.length / 2);
    else return undefined;
  }
  parts.push(current);
  const https = parts.at(-1) === 's';
  if (https) parts.pop();
  const port = parts.pop();
  if (!port || !/^\d{1,5}$/.test(port) || Number(port) > 65535 || parts.length === 0) return undefined;
  const host = parts.join('.');
  if (!HOST_NAME.test(host)) return undefined;
  const origin = new URL(`${https ? 'https' : 'http'}://${host}:${port}`).origin;
  // Only the one spelling labelOf makes: "localhost-08080" or an explicit default port would be a second name.
  const again = labelOf(origin);
  return 'label' in again && again.label === label.toLowerCase() ? origin : undefined;
}

/** Where pages are served: the parent domain (PAGES_HOST) and the simulator's port. */
export type PagesDomain = { domain: string; port: number };

/** The name in a Host header: no port, lower case. */
const nameOf = (host: string) => host.replace(/:\d+$/, '').toLowerCase();

/** The label of a Host header under the pages domain (any port), or undefined when the host is not a page's. */
export function labelOfHost(host: string | undefined, domain: string): string | undefined {
  if (!host) return undefined;
  const name = nameOf(host);
  const suffix = `.${domain}`;
  if (!name.endsWith(suffix)) return undefined;
  const label = name.slice(0, -suffix.length);
  return label && !label.includes('.') ? label : undefined;
}

/** The URL under the pages domain that serves `url` (whose origin has a label). */
export function pagesUrlOf(url: URL, label: string, pages: PagesDomain): string {
  return `http://${label}.${pages.domain}:${pages.port}${url.pathname}${url.search}${url.hash}`;
}

/** The original URL a page's URL under the pages domain stands for, or undefined when it is not one. */
export function originalUrlOf(pageUrl: string, domain: string): URL | undefined {
  if (!URL.canParse(pageUrl)) return undefined;
  const url = new URL(pageUrl);
  const label = labelOfHost(url.host, domain);
  const origin = label && originOfLabel(label);
  return origin ? new URL(`${url.pathname}${url.search}${url.hash}`, origin) : undefined;
}
