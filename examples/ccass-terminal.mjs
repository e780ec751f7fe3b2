// A relying party that plays CCASS Terminal: log in through ccass-auth (authorization code +
// PKCE, openid-client), show the claims, log out (RP-initiated logout), and be logged out by
// the server (Back-Channel Logout 1.0: POST /backchannel-logout with a logout token, when the
// user logs out or a DA or operator shuts them out). For trying the server locally, not for
// production (sessions in memory, plain http).
//
//   npm start                                  # ccass-auth on http://localhost:3000 (config/default.yaml)
//   node examples/ccass-terminal.mjs           # this relying party on http://localhost:8080
//
// ISSUER, CLIENT_ID, CLIENT_SECRET and PORT override the defaults, which match the
// ccass-terminal client in config/default.yaml.
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { URLSearchParams } from 'node:url';
import * as oidc from 'openid-client';
import { createRemoteJWKSet, jwtVerify } from 'jose';

const issuer = new URL(process.env.ISSUER ?? 'http://localhost:3000');
const port = Number(process.env.PORT ?? 8080);
const redirectUri = `http://localhost:${port}/callback`;
const insecure = issuer.protocol === 'http:' ? { execute: [oidc.allowInsecureRequests] } : {};
const config = await oidc.discovery(
  issuer,
  process.env.CLIENT_ID ?? 'ccass-terminal',
  undefined,
  oidc.ClientSecretBasic(process.env.CLIENT_SECRET ?? 'dev-only-ccass-terminal-secret-change-me'),
  insecure,
);
const sessions = new Map(); // cookie value → { verifier, state, nonce } before login, { tokens, claims } after
const jwks = createRemoteJWKSet(new URL(config.serverMetadata().jwks_uri));
const seenLogoutTokens = new Set(); // jti of logout tokens already acted on (§2.6: replays are refused)

/**
 * Back-Channel Logout 1.0 §2.6: a logout token is a JWT signed by the provider (its JWKS), for
 * this client, recent, with the back-channel logout event, a sub or sid, a jti, and no nonce.
 * Every session it names (by sid, else all of the sub's) ends here.
 */
async function backchannelLogout(logoutToken) {
  const { payload } = await jwtVerify(logoutToken, jwks, {
    issuer: config.serverMetadata().issuer,
    audience: config.clientMetadata().client_id,
    typ: 'logout+jwt',
    requiredClaims: ['iat', 'jti', 'events'],
    maxTokenAge: '5 minutes',
  });
  if (!payload.events || typeof payload.events['http://schemas.openid.net/event/backchannel-logout'] !== 'object') throw new Error('not a logout token');
  if ('nonce' in payload) throw new Error('a logout token has no nonce');
  if (!payload.sub && !payload.sid) throw new Error('a logout token names a sub or a sid');
  if (seenLogoutTokens.has(payload.jti)) throw new Error('logout token replayed');
  seenLogoutTokens.add(payload.jti);
  for (const [id, session] of sessions) {
    const claims = session.claims;
    if (claims && (payload.sid ? claims.sid === payload.sid : claims.sub === payload.sub)) sessions.delete(id);
  }
}
const formBody = (req) =>
  new Promise((resolve, reject) => {
    let body = '';
    req.on('data', (chunk) => {
      body += chunk;
      if (body.length > 65_536) req.destroy(new Error('too large'));
    });
    req.on('end', () => resolve(new URLSearchParams(body)));
    req.on('error', reject);
  });

const escape = (value) => String(value).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const page = (res, body) => {
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
  res.end(`<!doctype html><html lang="en"><meta charset="utf-8"><title>CCASS Terminal (example)</title><body>${body}</body></html>`);
};
const redirect = (res, location, cookie) => {
  res.writeHead(302, { location: location.toString(), ...(cookie ? { 'set-cookie': cookie } : {}) });
  res.end();
};

createServer(async (req, res) => {
  try {
    const url = new URL(req.url, `http://localhost:${port}`);
    if (url.pathname === '/backchannel-logout' && req.method === 'POST') {
      // §2.8: 200 when the sessions are ended, 400 for a token that does not verify.
      const ok = await backchannelLogout((await formBody(req)).get('logout_token') ?? '').then(() => true, () => false);
      res.writeHead(ok ? 200 : 400, { 'cache-control': 'no-store' });
      return res.end();
    }
    const sid = /(?:^|;\s*)rp=([\w-]+)/.exec(req.headers.cookie ?? '')?.[1];
    const session = sid && sessions.get(sid);
    if (url.pathname === '/login') {
      const login = { verifier: oidc.randomPKCECodeVerifier(), state: oidc.randomState(), nonce: oidc.randomNonce() };
      const id = randomBytes(16).toString('base64url');
      sessions.set(id, login);
      const target = oidc.buildAuthorizationUrl(config, {
        redirect_uri: redirectUri,
        scope: 'openid profile email',
        code_challenge: await oidc.calculatePKCECodeChallenge(login.verifier),
        code_challenge_method: 'S256',
        state: login.state,
        nonce: login.nonce,
        ...(url.searchParams.get('ui_locales') ? { ui_locales: url.searchParams.get('ui_locales') } : {}),
      });
      return redirect(res, target, `rp=${id}; HttpOnly; SameSite=Lax; Path=/`);
    }
    if (url.pathname === '/callback' && session?.verifier) {
      const tokens = await oidc.authorizationCodeGrant(config, url, { pkceCodeVerifier: session.verifier, expectedState: session.state, expectedNonce: session.nonce });
      sessions.set(sid, { tokens, claims: tokens.claims() });
      return redirect(res, '/');
    }
    if (url.pathname === '/logout' && session?.tokens) {
      sessions.delete(sid);
      return redirect(res, oidc.buildEndSessionUrl(config, { id_token_hint: session.tokens.id_token, post_logout_redirect_uri: `http://localhost:${port}/` }), 'rp=; Max-Age=0; Path=/');
    }
    if (session?.claims) {
      const { claims } = session;
      const rows = ['sub', 'participant_id', 'user_id', 'name', 'email', 'acr', 'amr', 'auth_time'].map((name) => `<tr><th scope="row">${name}</th><td id="claim-${name}">${escape(JSON.stringify(claims[name]))}</td></tr>`);
      return page(res, `<h1>Logged in to CCASS Terminal</h1><table>${rows.join('')}</table><p><a href="/logout">Log out</a></p>`);
    }
    return page(res, '<h1>CCASS Terminal (example relying party)</h1><p><a href="/login">Log in</a> · <a href="/login?ui_locales=zh-Hant">登入（繁體中文）</a></p>');
  } catch (error) {
    res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8' });
    res.end(`Login failed: ${error.message}\n`);
  }
}).listen(port, () => process.stdout.write(`CCASS Terminal example on http://localhost:${port} (issuer ${issuer.href})\n`));
