import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import helmet from 'helmet';
import Koa from 'koa';
import request from 'supertest';
import { helmetHeaders, helmetOptions, securityHeaders } from '../../../src/web/security-headers.js';

/** The headers of a response from `handler`, lower-case names, without those every Node response has. */
async function headersOf(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<Record<string, string>> {
  const response = await request(createServer(handler)).get('/some/page?x=1');
  const { date: _date, connection: _connection, 'keep-alive': _keepAlive, 'content-length': _length, 'content-type': _type, ...rest } = response.headers as Record<string, string>;
  return rest;
}

describe('security headers, asked of helmet once', () => {
  it.each([false, true])('are exactly what helmet sets on a live response (https: %s)', async (https) => {
    const options = helmetHeaders({ https });
    const koa = new Koa();
    koa.use(securityHeaders({ https }));
    koa.use((ctx) => void (ctx.body = 'page'));
    const ours = await headersOf(koa.callback());

    // The same options, run by helmet itself on a real response.
    const live = helmet(helmetOptions({ https }));
    const theirs = await headersOf((req, res) => live(req, res, () => res.end('page')));
    expect(ours).toEqual(theirs);
    expect(Object.keys(ours)).toHaveLength(options.length);
  });

  it('forbid framing, inline script and referrers, and ask for HTTPS only over HTTPS', () => {
    const plain = new Map(helmetHeaders({ https: false }));
    const secure = new Map(helmetHeaders({ https: true }));
    expect(plain.get('Content-Security-Policy')).toBe("default-src 'self';script-src 'self';style-src 'self';img-src 'self' data:;object-src 'none';base-uri 'none';frame-ancestors 'none'");
    expect(plain.get('X-Frame-Options')).toBe('SAMEORIGIN');
    expect(plain.get('Referrer-Policy')).toBe('no-referrer');
    expect(plain.get('X-Content-Type-Options')).toBe('nosniff');
    expect(plain.has('Strict-Transport-Security')).toBe(false);
    expect(plain.has('Cross-Origin-Embedder-Policy')).toBe(false);
    expect(secure.get('Strict-Transport-Security')).toBe('max-age=31536000; includeSubDomains');
  });

  it('are set again on every response, not shared with one', async () => {
    const koa = new Koa();
    koa.use(securityHeaders({ https: false }));
    koa.use((ctx) => {
      // A page that changes its own CSP (as oidc-provider adds a script hash) changes only its response.
      if (ctx.path === '/with-script') ctx.set('Content-Security-Policy', "script-src 'sha256-abc'");
      ctx.body = 'page';
    });
    const server = createServer(koa.callback());
    expect((await request(server).get('/with-script')).headers['content-security-policy']).toBe("script-src 'sha256-abc'");
    expect((await request(server).get('/other')).headers['content-security-policy']).toContain("default-src 'self'");
  });
});
