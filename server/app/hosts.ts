// Which names this server answers to (the Host header). A page of any site can have its name point at
// 127.0.0.1 (DNS rebinding) and then read and write here as if it were this server's own page; refusing
// names that are not this server's stops that.
import { networkInterfaces } from 'node:os';

const LOOPBACK_IPV4 = /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;
const ALL_INTERFACES = new Set(['0.0.0.0', '::', '']);

/** An address as it appears in a Host header: IPv6 in brackets. */
const asHostname = (address: string) => (address.includes(':') ? `[${address.toLowerCase()}]` : address.toLowerCase());

/** The name in a Host header: no port, lower case, no trailing dot. */
function hostnameOf(host: string): string {
  const end = host.startsWith('[') ? host.indexOf(']') + 1 : host.indexOf(':');
  const name = (end > 0 ? host.slice(0, end) : host).toLowerCase();
  return name.endsWith('.') ? name.slice(0, -1) : name;
}

/**
 * The names this server answers to: loopback names, the addresses it listens on (every interface's when it
 * listens on all), and the configured ones (ALLOWED_HOSTS and PUBLIC_URL's host). A configured ".example.com"
 * also allows its subdomains; "*" allows any name.
 */
export class AllowedHosts {
  private readonly names = new Set(['localhost', '[::1]']);
  private readonly suffixes = ['.localhost'];
  private readonly any: boolean;

  constructor(configured: string[]) {
    this.any = configured.includes('*');
    for (const entry of configured.map(hostnameOf)) {
      if (entry.startsWith('.')) this.suffixes.push(entry);
      this.names.add(entry.replace(/^\./, ''));
    }
  }

  /** Adds the address the server listens on; called once at listen, so requests never list the interfaces. */
  listeningOn(address: string): void {
    const addresses = ALL_INTERFACES.has(address) ? Object.values(networkInterfaces()).flatMap((infos) => (infos ?? []).map((info) => info.address)) : [address];
    for (const each of addresses) this.names.add(asHostname(each.replace(/%.*$/, '')));
  }

  /** Whether a request with this Host header is for this server; one without (HTTP/1.0, not a browser) is. */
  allows(host: string | undefined): boolean {
    if (host === undefined || this.any) return true;
    const name = hostnameOf(host);
    return this.names.has(name) || LOOPBACK_IPV4.test(name) || this.suffixes.some((suffix) => name.endsWith(suffix));
  }

  /** Why a request with this Host header is refused, naming the settings that would allow it; undefined when it is allowed. */
  refusal(host: string | undefined): string | undefined {
    if (this.allows(host)) return undefined;
    return `This server does not answer to the name "${hostnameOf(host!)}" (a page of another site may have pointed that name here). To use it, add it to ALLOWED_HOSTS (or --allowed-hosts), or set PUBLIC_URL to the address people use.`;
  }
}
