import { Writable } from 'node:stream';
import Koa from 'koa';
import request from 'supertest';
import { createLogger } from '../../../src/observability/logger.js';
import { requestContext } from '../../../src/observability/request-context.js';

/** An app whose requests are logged at `level`, and the log lines it wrote. */
function appLoggingAt(level: string): { app: Koa; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const app = new Koa();
  app.use(requestContext(createLogger(level, sink)));
  app.use((ctx) => {
    ctx.status = ctx.path === '/busy' ? 503 : ctx.path === '/broken' ? 500 : 200;
    ctx.body = 'answer';
  });
  return { app, lines };
}

describe('one log line per request', () => {
  it('names the request, never its query string or headers', async () => {
    const { app, lines } = appLoggingAt('info');
    const response = await request(app.callback()).get('/interaction/abc?token=secret-token').set('Authorization', 'Bearer secret-bearer');
    expect(lines).toHaveLength(1);
    const [line] = lines;
    expect(line).toMatchObject({ msg: 'request', method: 'GET', path: '/interaction/abc', status: 200, requestId: response.headers['x-request-id'] });
    expect(typeof line?.['ip']).toBe('string');
    expect(JSON.stringify(lines)).not.toMatch(/secret/);
  });

  it('at level warn, writes only the answers worth a warning or an alarm', async () => {
    const { app, lines } = appLoggingAt('warn');
    for (const path of ['/fine', '/busy', '/broken', '/healthz']) await request(app.callback()).get(path);
    expect(lines.map((line) => [line['path'], line['level']])).toEqual([
      ['/busy', 40],
      ['/broken', 50],
    ]);
  });

  it('gathers the fields of a line only when the line is written', async () => {
    for (const [level, reads] of [
      ['warn', 0],
      ['info', 1],
    ] as const) {
      let addressReads = 0;
      const app = new Koa();
      app.use((ctx, next) => {
        Object.defineProperty(ctx, 'ip', { get: () => (addressReads += 1, '192.0.2.1') });
        return next();
      });
      app.use(requestContext(createLogger(level, new Writable({ write: (_chunk, _encoding, done) => done() }))));
      app.use((ctx) => void (ctx.body = 'answer'));
      await request(app.callback()).get('/fine');
      expect([level, addressReads]).toEqual([level, reads]);
    }
  });

  it('keeps a sane request id from the caller and replaces any other', async () => {
    const { app } = appLoggingAt('silent');
    expect((await request(app.callback()).get('/').set('X-Request-Id', 'upstream-id-1234')).headers['x-request-id']).toBe('upstream-id-1234');
    expect((await request(app.callback()).get('/').set('X-Request-Id', 'bad id\twith spaces')).headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });
});
