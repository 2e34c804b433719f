// The account's web authorization domain (网页授权域名) and JS interface domains (JS接口安全域名): which page
// URLs may receive a code or call wx.config. As on the platform an entry covers its subdomains. Ports: local
// servers have them, so an entry may name one ("localhost:8080") and then only that port matches; an entry
// without a port matches the default ports only (80 for http, 443 for https), as WeChat's own domains do.

/** One entry: a host name (lower case) and, when given, the one port it allows. */
export type WebDomain = { host: string; port?: number };

const ENTRY = /^(?<host>[a-z0-9-]+(?:\.[a-z0-9-]+)*|\[[0-9a-f:.]+\])(?::(?<port>\d{1,5}))?$/;

/** Parses "host[:port]"; undefined when it is not one (a scheme, a path, a bad port). */
export function parseWebDomain(raw: string): WebDomain | undefined {
  const match = ENTRY.exec(raw.trim().toLowerCase());
  if (!match?.groups) return undefined;
  const port = match.groups.port === undefined ? undefined : Number(match.groups.port);
  if (port !== undefined && (port < 1 || port > 65535)) return undefined;
  // The default ports are what an entry without a port allows already.
  return port === undefined || port === 80 || port === 443 ? { host: match.groups.host! } : { host: match.groups.host!, port };
}

/** The default when nothing is configured: the host and port of the server under test's URL. */
export function domainOfUrl(url: string): WebDomain | undefined {
  if (!URL.canParse(url)) return undefined;
  const { hostname, port } = new URL(url);
  return port ? { host: hostname.toLowerCase(), port: Number(port) } : { host: hostname.toLowerCase() };
}

/** An entry as people write it. */
export const describeDomain = ({ host, port }: WebDomain) => (port === undefined ? host : `${host}:${port}`);

/** Whether an http(s) URL is on one of the domains: its host is an entry's or a subdomain of it, on the entry's port. */
export function onDomains(url: string, domains: readonly WebDomain[]): boolean {
  if (!URL.canParse(url)) return false;
  const parsed = new URL(url);
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return false;
  const host = parsed.hostname.toLowerCase();
  // URL leaves the port empty when it is the scheme's default.
  const port = parsed.port ? Number(parsed.port) : undefined;
  return domains.some((domain) => (host === domain.host || host.endsWith(`.${domain.host}`)) && port === domain.port);
}
