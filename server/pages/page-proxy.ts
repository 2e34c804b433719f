// The page proxy: a request for http://<label>.<PAGES_HOST>:<port>/… goes to the origin the label stands for, as
// WeChat's in-app browser would send it (its user agent, the page's cookies), and its answer comes back with the
// page kept inside the proxy: redirects and cookies rewritten for the pages host, the bridge script first in HTML.
import http, { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { Logger } from '../logger.ts';
import { insertFirstInHead } from './insert-bridge.ts';
import { labelOf, labelOfHost, originOfLabel, pagesUrlOf } from './page-hosts.ts';
import type { PageOrigins } from './page-origins.ts';
import { WECHAT_USER_AGENT } from './wechat-user-agent.ts';


/** The path on every pages host that the simulator keeps for itself. */
export const RESERVED_PREFIX = '/.wechat-oa-simulator/';
export const BRIDGE_PATH = `${RESERVED_PREFIX}bridge.js`;
const BRIDGE_TAG = `<script src="${BRIDGE_PATH}"></script>`;

/** What a page's answer may weigh, and how long its server may take, before the proxy gives up on it. */
export const PAGE_LIMITS = { maxBytes: 10 * 2 ** 20, deadlineMs: 15_000 } as const;

// Headers about one connection, not the request (RFC 9110 §7.6.1), and those the proxy sets itself.
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'host', 'accept-encoding', 'user-agent']);
const AUTHORIZE = /^https:\/\/open\.weixin\.qq\.com\/connect\/oauth2\/authorize(\?|$)/;

export type PageProxyOptions = {
  /** PAGES_HOST: the parent domain of the pages hosts. */
  domain: string;
  origins: PageOrigins;
  /** The simulator's own origin for a request that came in on `port` (WeChat's authorize page is there). */
  simulatorOrigin: (port: number) => string;
  /** The bridge script's bytes; undefined when the chat window was not built. */
  bridgeScript: () => Promise<Buffer | undefined>;
  logger: Logger;
  limits?: { maxBytes: number; deadlineMs: number };
};

/** A short page that says why a page could not be shown, in the in-app browser. */
function problem(res: ServerResponse, status: number, text: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' });
  res.end(`${text}\n`);
}

/** The port a Host header names (the simulator's, as the browser reached it). */
const portOf = (host: string) => Number(/:(\d+)$/.exec(host)?.[1] ?? 80);

/** A Set-Cookie for the pages host: its Domain dropped, so the browser keeps it for the page's own host. */
const withoutDomain = (cookie: string) => cookie.replace(/;\s*domain=[^;]*/gi, '');

/** The page's CSP without frame-ancestors: the in-app browser is a frame of the chat window, which WeChat's is not. */
const withoutFrameAncestors = (csp: string) =>
  csp
    .split(';')
    .filter((directive) => !/^\s*frame-ancestors\b/i.test(directive))
    .join(';');

export class PageProxy {
  private readonly limits: { maxBytes: number; deadlineMs: number };

  constructor(private readonly options: PageProxyOptions) {
    this.limits = options.limits ?? PAGE_LIMITS;
  }

  /** Whether a request is for a pages host (it then goes to `handle`, before any route of the simulator). */
  claims(req: IncomingMessage): boolean {
    return labelOfHost(req.headers.host, this.options.domain) !== undefined;
  }

  /** Serves one request for a pages host; never throws. */
  handle(req: IncomingMessage, res: ServerResponse): void {
    this.serve(req, res).catch((err: unknown) => {
      this.options.logger.warn({ err, url: req.url }, 'page proxy failed');
      problem(res, 502, 'The simulator could not get this page.');
    });
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const host = req.headers.host!;
    const label = labelOfHost(host, this.options.domain)!;
    const path = req.url ?? '/';
    if (path.startsWith(RESERVED_PREFIX)) return this.serveReserved(path, res);
    const origin = originOfLabel(label);
    if (!origin) return problem(res, 400, `"${host}" does not name a web origin (see "How pages are served" in docs/testing-your-pages.md).`);
    if (!(await this.options.origins.allows(origin))) {
      return problem(res, 403, `The simulator serves only pages of the server under test and of origins its messages or menu name; ${origin} is not one of them.`);
    }
    const target = new URL(path, origin);
    const port = portOf(host);
    const upstream = (target.protocol === 'https:' ? https : http).request(target, {
      method: req.method,
      headers: this.upstreamHeaders(req.headers, target, port),
      timeout: this.limits.deadlineMs,
    });
    const deadline = setTimeout(() => upstream.destroy(new Error('deadline')), this.limits.deadlineMs);
    res.on('close', () => {
      clearTimeout(deadline);
      upstream.destroy();
    });
    upstream.on('timeout', () => upstream.destroy(new Error('deadline')));
    upstream.on('error', (err) => {
      clearTimeout(deadline);
      const late = err.message === 'deadline';
      problem(res, late ? 504 : 502, late ? `${origin} did not answer within ${this.limits.deadlineMs / 1000} s.` : `${origin} cannot be reached (${(err as NodeJS.ErrnoException).code ?? err.message}).`);
    });
    upstream.on('response', (answer) => {
      this.answer(answer, res, target, port)
        .catch((err: unknown) => upstream.destroy(err as Error))
        .finally(() => clearTimeout(deadline));
    });
    let sent = 0;
    req.on('data', (chunk: Buffer) => {
      sent += chunk.length;
      if (sent > this.limits.maxBytes) {
        problem(res, 413, `A request to a page may send at most ${this.limits.maxBytes / 2 ** 20} MB.`);
        upstream.destroy();
        req.destroy();
      }
    });
    req.pipe(upstream);
  }

  private async serveReserved(path: string, res: ServerResponse): Promise<void> {
    const script = new URL(path, 'http://x').pathname === BRIDGE_PATH ? await this.options.bridgeScript() : undefined;
    if (!script) return problem(res, 404, `Nothing at ${path}.`);
    res.writeHead(200, { 'Content-Type': 'text/javascript; charset=utf-8', 'Cache-Control': 'no-cache', 'X-Content-Type-Options': 'nosniff' });
    res.end(script);
  }

  /** The request as the page's own server gets it: its own host, WeChat's user agent, no compression. */
  private upstreamHeaders(headers: IncomingHttpHeaders, target: URL, port: number): Record<string, string | string[]> {
    const out: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(headers)) {
      if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value;
    }
    out.host = target.host;
    out['user-agent'] = WECHAT_USER_AGENT;
    out['accept-encoding'] = 'identity';
    // The page's server sees its own origin in Origin and Referer, as without the proxy.
    const original = (value: string | string[] | undefined) => (typeof value === 'string' ? this.originalOf(value, port) : undefined);
    const origin = original(headers.origin);
    if (origin) out.origin = new URL(origin).origin;
    const referer = original(headers.referer);
    if (referer) out.referer = referer;
    else delete out.referer;
    return out;
  }

  /** The original URL for a URL on a pages host, or undefined for any other. */
  private originalOf(url: string, port: number): string | undefined {
    if (!URL.canParse(url)) return undefined;
    const parsed = new URL(url);
    const label = labelOfHost(parsed.host, this.options.domain);
    const origin = label && portOf(parsed.host) === port ? originOfLabel(label) : undefined;
    return origin ? new URL(`${parsed.pathname}${parsed.search}`, origin).href : undefined;
  }

  /** `url` (from a page of `base`) as the in-app browser should follow it: on its pages host when proxied, WeChat's authorize page at the simulator. */
  private async rewriteLocation(location: string, base: URL, port: number): Promise<string> {
    if (!URL.canParse(location, base)) return location;
    const url = new URL(location, base);
    if (AUTHORIZE.test(url.href)) return `${this.options.simulatorOrigin(port)}${url.pathname}${url.search}`;
    const labelled = labelOf(url.origin);
    if (!('label' in labelled) || !(await this.options.origins.allows(url.origin))) return location;
    return pagesUrlOf(url, labelled.label, { domain: this.options.domain, port });
  }

  private async answer(answer: IncomingMessage, res: ServerResponse, target: URL, port: number): Promise<void> {
    const headers: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(answer.headers)) {
      if (value === undefined || HOP_BY_HOP.has(name) || name === 'x-frame-options') continue;
      if (name === 'set-cookie') headers[name] = (value as string[]).map(withoutDomain);
      else if (name === 'content-security-policy') headers[name] = withoutFrameAncestors(String(value));
      else if (name === 'location') headers[name] = await this.rewriteLocation(String(value), target, port);
      else headers[name] = value;
    }
    const status = answer.statusCode ?? 502;
    const encoded = (answer.headers['content-encoding'] ?? 'identity') !== 'identity';
    const html = /^text\/html\b/i.test(answer.headers['content-type'] ?? '') && !encoded && answer.headers['content-length'] !== '0';
    if (!html) {
      res.writeHead(status, headers);
      let received = 0;
      answer.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (received > this.limits.maxBytes) {
          this.options.logger.warn({ url: target.href }, 'page answer over the size limit: cut off');
          res.destroy();
          answer.destroy();
        }
      });
      answer.pipe(res);
      return;
    }
    const body = await this.readBounded(answer);
    if (body === undefined) return problem(res, 502, `${target.origin} sent a page of more than ${this.limits.maxBytes / 2 ** 20} MB.`);
    const text = body.toString('latin1');
    const withBridge = insertFirstInHead(text, BRIDGE_TAG);
    const out = withBridge === undefined ? body : Buffer.from(withBridge, 'latin1');
    delete headers['content-length'];
    res.writeHead(status, { ...headers, 'content-length': String(out.length) });
    res.end(out);
  }

  /** The whole answer, or undefined when it passes the size limit. */
  private readBounded(answer: IncomingMessage): Promise<Buffer | undefined> {
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      answer.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > this.limits.maxBytes) {
          answer.destroy();
          resolve(undefined);
        } else chunks.push(chunk);
      });
      answer.on('end', () => resolve(Buffer.concat(chunks)));
      answer.on('error', reject);
    });
  }
}
