/**
 * The baseline: oidc-provider with its built-in in-memory adapter and nothing of ours (no
 * PostgreSQL, no hooks, no Koa app around it), configured like ccass-auth for the benchmark
 * client, with session-bound refresh tokens minted in memory. The refresh grant against it
 * is the most that oidc-provider itself can do here. Run as a child process; prints one JSON
 * line with its port and the refresh tokens.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider, { type ClientMetadata } from 'oidc-provider';
import { generateSigningKeys } from '../src/oidc/key-generation.js';

const [clientJson, countText, ttlText] = process.argv.slice(2) as [string, string, string];
const client = JSON.parse(clientJson) as ClientMetadata & { client_id: string };
const count = Number(countText);
const refreshTtl = Number(ttlText);

const server = createServer();
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

const provider = new Provider(issuer, {
  clients: [client],
  jwks: await generateSigningKeys(),
  findAccount: async (_ctx, sub) => ({
    accountId: sub,
    claims: async () => ({ sub, email: `${sub}@example.com`, name: 'Benchmark User', participant_id: 'BENCH', user_id: sub }),
  }),
  claims: { openid: ['sub'], email: ['email'], profile: ['name', 'participant_id', 'user_id'] },
  conformIdTokenClaims: false,
  features: { devInteractions: { enabled: false } },
  ttl: { RefreshToken: refreshTtl, AccessToken: 600, IdToken: 600, Session: refreshTtl, Grant: refreshTtl },
});

const clientInstance = await provider.Client.find(client.client_id);
const tokens: string[] = [];
for (let index = 0; index < count; index += 1) {
  const accountId = `user-${index}`;
  const grant = new provider.Grant({ accountId, clientId: client.client_id });
  grant.addOIDCScope('openid profile email');
  const grantId = await grant.save();
  // The Session model takes its payload in the constructor (its type declaration omits it).
  const SessionModel = provider.Session as unknown as new (payload: Record<string, unknown>) => { uid: string; save(ttl: number): Promise<string> };
  const session = new SessionModel({ accountId, loginTs: Math.floor(Date.now() / 1000), authorizations: { [client.client_id]: { grantId, persistsLogin: true } } });
  await session.save(refreshTtl);
  const token = new provider.RefreshToken({
    accountId,
    client: clientInstance,
    grantId,
    scope: 'openid profile email',
    gty: 'authorization_code',
    authTime: Math.floor(Date.now() / 1000),
    expiresWithSession: true,
    sessionUid: session.uid,
  } as never);
  tokens.push(await token.save());
}

server.on('request', provider.callback());
process.stdout.write(`${JSON.stringify({ issuer, tokens })}\n`);
