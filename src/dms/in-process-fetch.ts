/**
 * A fetch() that delivers requests to this node's own Koa app in memory (light-my-request)
 * instead of over the network. DMS is a relying party of the provider it runs beside: its
 * code exchange goes through the real token endpoint, but needs no route from the node back
 * to its own public URL (which, behind a load balancer, may not exist).
 */
import type { RequestListener } from 'node:http';
import inject from 'light-my-request';
import type { CustomFetch } from 'openid-client';

export function inProcessFetch(handler: () => RequestListener): CustomFetch {
  return async (url, options) => {
    const target = new URL(url);
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(options.headers ?? {})) headers[name.toLowerCase()] = value;
    headers['host'] = target.host;
    headers['x-forwarded-proto'] = target.protocol.replace(':', '');
    const body = options.body;
    // The request never crossed TLS, but it stands for one to the https issuer: mark its socket
    // encrypted so that Koa and oidc-provider see https (as X-Forwarded-Proto would, behind a
    // trusted proxy) and publish https endpoints.
    const listener = handler();
    const dispatch: RequestListener =
      target.protocol === 'https:'
        ? (req, res) => {
            Object.defineProperty(req.socket, 'encrypted', { value: true, configurable: true });
            listener(req, res);
          }
        : listener;
    const response = (await inject(dispatch, {
      method: options.method as inject.InjectOptions['method'],
      url: `${target.pathname}${target.search}`,
      headers,
      remoteAddress: '127.0.0.1',
      ...(body === undefined || body === null ? {} : { payload: body instanceof URLSearchParams ? body.toString() : (body as string | Buffer) }),
    })) as unknown as inject.Response;
    const responseHeaders = new Headers();
    for (const [name, value] of Object.entries(response.headers)) {
      if (value === undefined) continue;
      for (const item of Array.isArray(value) ? value : [value]) responseHeaders.append(name, String(item));
    }
    return new Response(response.statusCode === 204 || response.statusCode === 304 ? null : response.rawPayload, {
      status: response.statusCode,
      headers: responseHeaders,
    });
  };
}
