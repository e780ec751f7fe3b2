/**
 * The example relying party (examples/ccass-terminal.mjs) as a newcomer runs it, for browser
 * journeys: started as its own process against an issuer, as a given client, on a port.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** `env`: more of its environment (e.g. NODE_EXTRA_CA_CERTS for a provider behind a test CA). */
export async function startExampleRelyingParty(issuer: string, port: number, client: { clientId: string; clientSecret: string }, env: Record<string, string> = {}): Promise<ChildProcess> {
  const child = spawn(process.execPath, [path.join(ROOT, 'examples', 'ccass-terminal.mjs')], {
    env: { ...process.env, ISSUER: issuer, CLIENT_ID: client.clientId, CLIENT_SECRET: client.clientSecret, PORT: String(port), ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout?.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`the example relying party exited with ${code}`)));
  });
  return child;
}

/** The example relying party as the browser tests register it: CCASS Terminal, first party. */
export const EXAMPLE_TERMINAL = { clientId: 'example-terminal', clientSecret: 'example-terminal-secret-for-browser-tests' };
/** The same example as a client that requires phishing-resistant logins. */
export const EXAMPLE_STRICT = { clientId: 'example-strict', clientSecret: 'example-strict-secret-for-browser-tests' };

/** The client entries of the two examples, for a test server's configuration, running at these origins. */
export function exampleClients(terminalOrigin: string, strictOrigin: string) {
  return [
    { client_id: EXAMPLE_TERMINAL.clientId, client_name: 'CCASS Terminal', client_secret: EXAMPLE_TERMINAL.clientSecret, redirect_uris: [`${terminalOrigin}/callback`], post_logout_redirect_uris: [`${terminalOrigin}/`], first_party: true },
    {
      client_id: EXAMPLE_STRICT.clientId,
      client_name: 'Settlement Console',
      client_secret: EXAMPLE_STRICT.clientSecret,
      redirect_uris: [`${strictOrigin}/callback`],
      post_logout_redirect_uris: [`${strictOrigin}/`],
      first_party: true,
      require_phishing_resistant: true,
    },
  ];
}
