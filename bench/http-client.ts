/**
 * The load generator's HTTP side: an undici pool with a bounded number of connections (so
 * concurrency is what we say it is), a minimal cookie jar per simulated browser, and the
 * steps of a login exactly as a browser and CCASS Terminal perform them.
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { Pool } from 'undici';

export interface Client {
  clientId: string;
  clientSecret: string;
  redirectUri: string;
}

/** What nginx would add in front of the node: the original scheme (the issuer is https). */
const FORWARDED = { 'x-forwarded-proto': 'https' };

export interface Response {
  status: number;
  location: string | undefined;
  body: string;
  setCookies: string[];
}

export class HttpClient {
  readonly pool: Pool;
  constructor(readonly origin: string, connections: number) {
    this.pool = new Pool(origin, { connections, pipelining: 1, keepAliveTimeout: 30_000 });
  }

  async request(method: 'GET' | 'POST', path: string, headers: Record<string, string> = {}, body?: string): Promise<Response> {
    const response = await this.pool.request({ method, path, headers: { ...FORWARDED, ...headers }, ...(body === undefined ? {} : { body }) });
    const text = await response.body.text();
    const raw = response.headers['set-cookie'];
    const location = response.headers['location'];
    return {
      status: response.statusCode,
      location: Array.isArray(location) ? location[0] : location,
      body: text,
      setCookies: raw === undefined ? [] : Array.isArray(raw) ? raw : [raw],
    };
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}

/** Cookies by name (paths are ignored: the server ignores cookies it did not ask for). */
class CookieJar {
  private readonly cookies = new Map<string, string>();
  take(setCookies: string[]): void {
    for (const header of setCookies) {
      const [pair] = header.split(';');
      const separator = pair?.indexOf('=') ?? -1;
      if (!pair || separator < 1) continue;
      const name = pair.slice(0, separator).trim();
      const value = pair.slice(separator + 1).trim();
      if (value === '' || /expires=Thu, 01 Jan 1970/i.test(header)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }
  header(): Record<string, string> {
    return this.cookies.size ? { cookie: [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ') } : {};
  }
}

function pathOf(location: string | undefined, origin: string): string {
  if (!location) throw new Error('expected a redirect');
  const url = new URL(location, origin);
  return `${url.pathname}${url.search}`;
}

function csrfIn(html: string): string {
  const match = /name="csrf" value="([^"]+)"/.exec(html);
  if (!match?.[1]) throw new Error('no CSRF token in the page');
  return match[1];
}

const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

export function totpCode(secret: Buffer, atSeconds: number, period = 30, digits = 6): string {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(atSeconds / period)));
  const hmac = createHmac('sha1', secret).update(counter).digest();
  const offset = (hmac[hmac.length - 1] as number) & 0xf;
  const value = (hmac.readUInt32BE(offset) & 0x7fffffff) % 10 ** digits;
  return String(value).padStart(digits, '0');
}

export interface Credentials {
  participantId: string;
  userId: string;
  password: string;
  totpSecret: Buffer;
}

export interface LoginResult {
  idToken: string;
  refreshToken: string;
  requests: number;
}

/**
 * One full login: authorization request → login page → password → code page → TOTP →
 * back to /auth → redirect with the code → code exchange with PKCE at the token endpoint.
 */
export async function fullLogin(http: HttpClient, client: Client, user: Credentials, code: string): Promise<LoginResult> {
  const jar = new CookieJar();
  let requests = 0;
  const step = async (method: 'GET' | 'POST', path: string, headers: Record<string, string> = {}, body?: string) => {
    requests += 1;
    if (process.env['BENCH_PRINT_QUERIES']) process.stderr.write(`${method} ${path.split('?')[0]}\n`);
    const response = await http.request(method, path, { ...jar.header(), ...headers }, body);
    jar.take(response.setCookies);
    return response;
  };
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const query = form({
    client_id: client.clientId,
    response_type: 'code',
    scope: 'openid profile email',
    redirect_uri: client.redirectUri,
    code_challenge: challenge,
    code_challenge_method: 'S256',
    state: randomBytes(8).toString('hex'),
    nonce: randomBytes(8).toString('hex'),
  });
  const auth = await step('GET', `/auth?${query}`);
  const interaction = pathOf(auth.location, http.origin);
  const loginPage = await step('GET', interaction);
  const afterPassword = await step('POST', `${interaction}/login`, FORM, form({ csrf: csrfIn(loginPage.body), participantId: user.participantId, userId: user.userId, password: user.password }));
  // The code page comes in the password step's answer, or (servers before 2026-12) after a redirect.
  if (afterPassword.status !== 200 && afterPassword.status !== 303) throw new Error(`password step answered ${afterPassword.status}`);
  const codePage = afterPassword.status === 200 ? afterPassword : await step('GET', pathOf(afterPassword.location, http.origin));
  const afterCode = await step('POST', `${interaction}/otp`, FORM, form({ csrf: csrfIn(codePage.body), code }));
  if (afterCode.status !== 303) throw new Error(`code step answered ${afterCode.status}`);
  const resumed = await step('GET', pathOf(afterCode.location, http.origin));
  const callback = new URL(resumed.location ?? '', http.origin);
  const authorizationCode = callback.searchParams.get('code');
  if (!authorizationCode) throw new Error(`no code after login (status ${resumed.status})`);
  const tokens = await step(
    'POST',
    '/token',
    { ...FORM, authorization: `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}` },
    form({ grant_type: 'authorization_code', code: authorizationCode, redirect_uri: client.redirectUri, code_verifier: verifier }),
  );
  if (tokens.status !== 200) throw new Error(`token endpoint answered ${tokens.status}: ${tokens.body}`);
  const parsed = JSON.parse(tokens.body) as { id_token: string; refresh_token: string };
  return { idToken: parsed.id_token, refreshToken: parsed.refresh_token, requests };
}

/** A refresh token grant; returns the new refresh token (the same one when not rotated). */
export async function refreshGrant(http: HttpClient, client: Client, refreshToken: string): Promise<string> {
  const response = await http.request(
    'POST',
    '/token',
    { ...FORM, authorization: `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}` },
    form({ grant_type: 'refresh_token', refresh_token: refreshToken }),
  );
  if (response.status !== 200) throw new Error(`refresh answered ${response.status}: ${response.body}`);
  return (JSON.parse(response.body) as { refresh_token?: string }).refresh_token ?? refreshToken;
}
