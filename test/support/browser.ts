/**
 * A minimal browser for tests: fetch with a real cookie jar (tough-cookie, so paths,
 * expiry and deletion behave as in a browser), redirects followed by hand so that each
 * hop can be inspected, and helpers to read the forms the server renders.
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { CookieJar } from 'tough-cookie';

/** How the browser connects: a CA to trust, a client certificate to present (a smartcard), a source address. */
export interface Transport {
  ca?: string;
  clientCertificate?: { cert: string; key: string };
  localAddress?: string;
}

export interface Page {
  url: string;
  status: number;
  headers: Headers;
  body: string;
}

export class Browser {
  readonly jar = new CookieJar();

  /** `headers` go with every request, as a browser's settings would send them (e.g. Accept-Language). */
  constructor(
    readonly transport: Transport = {},
    readonly headers: Record<string, string> = {},
  ) {}

  /** A header given as a list is sent once per value (over node's http only: fetch joins them). */
  async request(url: string, init: { method?: string; form?: Record<string, string>; headers?: Record<string, string | string[]> } = {}): Promise<Page> {
    const headers: Record<string, string | string[]> = { accept: 'text/html', ...this.headers, ...init.headers };
    const cookie = await this.jar.getCookieString(url);
    if (cookie) headers['cookie'] = cookie;
    let body: string | undefined;
    if (init.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(init.form).toString();
    }
    const method = init.method ?? (init.form ? 'POST' : 'GET');
    const repeated = Object.values(headers).some((value) => Array.isArray(value));
    const useNode = repeated || this.transport.ca !== undefined || this.transport.clientCertificate !== undefined || this.transport.localAddress !== undefined;
    const response = useNode
      ? await nodeFetch(url, { method, headers, body }, this.transport)
      : await fetch(url, { method, headers: headers as Record<string, string>, body, redirect: 'manual' });
    for (const setCookie of response.headers.getSetCookie()) await this.jar.setCookie(setCookie, url);
    return { url, status: response.status, headers: response.headers, body: await response.text() };
  }

  /** Follows redirects until a page that is not a redirect, or until `stopAt` matches the next URL. */
  async follow(url: string, init: Parameters<Browser['request']>[1] = {}, stopAt?: (next: URL) => boolean): Promise<Page> {
    let page = await this.request(url, init);
    for (let hops = 0; hops < 10 && page.status >= 300 && page.status < 400; hops += 1) {
      const next = new URL(page.headers.get('location') as string, page.url);
      if (stopAt?.(next)) return { ...page, url: next.toString() };
      page = await this.request(next.toString());
    }
    return page;
  }
}

/** The value of a hidden or text input in a rendered form. */
export function inputValue(html: string, name: string): string {
  const match = new RegExp(`<input[^>]*name="${name}"[^>]*value="([^"]*)"`).exec(html);
  if (!match) throw new Error(`no input named ${name} in page`);
  return (match[1] as string).replace(/&amp;/g, '&').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>');
}

export function formAction(html: string, id?: string): string {
  const pattern = id ? new RegExp(`<form[^>]*id="${id}"[^>]*action="([^"]+)"|<form[^>]*action="([^"]+)"[^>]*id="${id}"`) : /<form[^>]*action="([^"]+)"/;
  const match = pattern.exec(html);
  if (!match) throw new Error('no form in page');
  return (match[1] ?? match[2]) as string;
}

/** One request over node's http/https, for what fetch cannot do (client certificates, source address). */
export function nodeFetch(url: string, init: { method: string; headers: Record<string, string | string[]>; body?: string | undefined }, transport: Transport): Promise<Response> {
  const target = new URL(url);
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(
      target,
      {
        method: init.method,
        headers: init.headers,
        ...(transport.localAddress ? { localAddress: transport.localAddress } : {}),
        ...(target.protocol === 'https:'
          ? { ca: transport.ca, cert: transport.clientCertificate?.cert, key: transport.clientCertificate?.key, servername: target.hostname === '127.0.0.1' ? undefined : target.hostname }
          : {}),
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const headers = new Headers();
          for (const [name, value] of Object.entries(res.headers)) {
            for (const item of Array.isArray(value) ? value : value === undefined ? [] : [value]) headers.append(name, item);
          }
          const status = res.statusCode ?? 0;
          const body = [204, 304].includes(status) ? null : Buffer.concat(chunks);
          resolve(new Response(body, { status, headers }));
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(init.body);
  });
}
