// A relying party that plays CCASS Terminal: log in through ccass-auth (authorization code +
// PKCE, openid-client), show the claims, log out (RP-initiated logout). For trying the server
// locally, not for production (sessions in memory, plain http).
//
//   npm start                                  # ccass-auth on http://localhost:3000 (config/default.yaml)
//   node examples/ccass-terminal.mjs           # this relying party on http://localhost:8080
//
// ISSUER, CLIENT_ID, CLIENT_SECRET and PORT override the defaults, which match the
// ccass-terminal client in config/default.yaml.
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import * as oidc from 'openid-client';

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
