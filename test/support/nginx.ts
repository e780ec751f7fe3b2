/**
 * Debian's nginx running the deployment's own configuration (deploy/nginx.conf) in front of
 * test nodes. The file is used as it is, with only what must differ on a test machine put in
 * its place — each substitution checked, so a changed deployment file fails here loudly
 * instead of being tested in a form it no longer has:
 * - the upstream nodes `auth-1:3000`, `auth-2:3000` → the test nodes' addresses;
 * - the ports 80 and 8443 → free ports on 127.0.0.1 (and the redirect to 8443 with them);
 * - the TLS certificate and key → the test's;
 * - nginx's own address on the compose network (172.28.0.10) → `proxy_bind 127.0.0.2`, so the
 *   nodes can tell nginx's connections from a client's, as they do in the stack.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, closeSync, constants, openSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const NGINX_ADDRESS = '127.0.0.2';

export function nginxExecutable(): string {
  const candidates = [process.env['NGINX_PATH'], '/usr/sbin/nginx', ...(process.env['PATH'] ?? '').split(path.delimiter).map((dir) => path.join(dir, 'nginx'))];
  for (const candidate of candidates) {
    if (!candidate) continue;
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // next
    }
  }
  throw new Error('nginx not found for the reverse proxy test: install it (Debian: apt-get install nginx; .ci/run does) or set NGINX_PATH.');
}

function substitute(text: string, from: string | RegExp, to: string): string {
  const found = typeof from === 'string' ? text.includes(from) : from.test(text);
  if (!found) throw new Error(`deploy/nginx.conf no longer contains ${String(from)}: update test/support/nginx.ts with it`);
  return text.replace(from, to);
}

export interface NginxSettings {
  dir: string;
  upstreams: readonly string[];
  httpPort: number;
  httpsPort: number;
  certFile: string;
  keyFile: string;
}

export function adaptDeployConfig(settings: NginxSettings): string {
  let text = readFileSync(path.join(ROOT, 'deploy/nginx.conf'), 'utf8');
  text = substitute(text, / {8}server auth-1:3000 ([^\n]*)\n {8}server auth-2:3000 ([^\n]*)\n/, settings.upstreams.map((address) => `        server ${address} $1\n`).join(''));
  text = substitute(text, 'listen 80;', `listen 127.0.0.1:${settings.httpPort};`);
  text = substitute(text, 'listen 8443 ssl;', `listen 127.0.0.1:${settings.httpsPort} ssl;`);
  text = substitute(text, 'return 301 https://$host:8443$request_uri;', `return 301 https://$host:${settings.httpsPort}$request_uri;`);
  text = substitute(text, 'ssl_certificate     /etc/nginx/certs/tls.pem;', `ssl_certificate     ${settings.certFile};`);
  text = substitute(text, 'ssl_certificate_key /etc/nginx/certs/tls.key;', `ssl_certificate_key ${settings.keyFile};`);
  text = substitute(text, '        proxy_http_version 1.1;', `        proxy_bind ${NGINX_ADDRESS};\n        proxy_http_version 1.1;`);
  return text;
}

export interface RunningNginx {
  log: () => string;
  stop(): Promise<void>;
}

export async function startNginx(settings: NginxSettings): Promise<RunningNginx> {
  const file = path.join(settings.dir, 'nginx.conf');
  writeFileSync(file, adaptDeployConfig(settings));
  // A file, not a pipe, behind stdout and stderr: the configuration logs to /dev/stdout, which nginx opens by name.
  const logFile = path.join(settings.dir, 'nginx.log');
  const logFd = openSync(logFile, 'a');
  const child: ChildProcess = spawn(nginxExecutable(), ['-p', settings.dir, '-c', file, '-g', `daemon off; pid ${path.join(settings.dir, 'nginx.pid')};`], { stdio: ['ignore', logFd, logFd] });
  closeSync(logFd);
  const output = () => readFileSync(logFile, 'utf8');
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let gone = false;
  void exited.then(() => (gone = true));
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (gone) throw new Error(`nginx exited: ${output()}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(settings.httpsPort, '127.0.0.1');
      socket.once('connect', () => (socket.destroy(), resolve(true)));
      socket.once('error', () => resolve(false));
    });
    if (open) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`nginx did not listen within 10 s: ${output()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    log: output,
    async stop() {
      if (!gone) child.kill('SIGQUIT');
      await exited;
    },
  };
}
