/**
 * A minimal browser for tests: fetch with a real cookie jar (tough-cookie, so paths,
 * expiry and deletion behave as in a browser), redirects followed by hand so that each
 * hop can be inspected, and helpers to read the forms the server renders.
 */
import { CookieJar } from 'tough-cookie';

export interface Page {
  url: string;
  status: number;
  headers: Headers;
  body: string;
}

export class Browser {
  readonly jar = new CookieJar();

  async request(url: string, init: { method?: string; form?: Record<string, string>; headers?: Record<string, string> } = {}): Promise<Page> {
    const headers: Record<string, string> = { accept: 'text/html', ...init.headers };
    const cookie = await this.jar.getCookieString(url);
    if (cookie) headers['cookie'] = cookie;
    let body: string | undefined;
    if (init.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(init.form).toString();
    }
    const response = await fetch(url, { method: init.method ?? (init.form ? 'POST' : 'GET'), headers, body, redirect: 'manual' });
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
