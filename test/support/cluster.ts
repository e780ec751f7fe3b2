/**
 * Several server nodes on one PostgreSQL behind a small HTTP load balancer whose URL is the
 * issuer, as in production behind nginx. The test decides which node answers each request
 * (`route`), and every node records what it answered, so a test can prove that a flow
 * really crossed nodes. Nodes share nothing but the database (and the test's clock).
 */
import { createServer, request as httpRequest, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config } from '../../src/config/schema.js';
import { createLogger } from '../../src/observability/logger.js';
import { buildServer, type Server } from '../../src/app/server.js';
import type { Database } from '../../src/store/database.js';
import { TestClock } from './clock.js';
import { testConfig } from './server.js';
import { SmtpSink } from './smtp-sink.js';

export interface ClusterNode {
  index: number;
  server: Server;
  http: HttpServer;
  /** "METHOD path" of every request this node answered, in order. */
  served: string[];
}

export interface TestCluster {
  issuer: string;
  config: Config;
  clock: TestClock;
  mail: SmtpSink;
  /** The balancer: what a browser or relying party talks to. */
  http: HttpServer;
  nodes: ClusterNode[];
  /** Which node answers the next requests (default: alternate, request by request). */
  route(choose: 'alternate' | number | ((method: string, path: string) => number)): void;
  close(): Promise<void>;
}

async function listenOnLoopback(server: HttpServer): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

export async function startCluster(db: Database, databaseUrl: string, overrides: Record<string, unknown> = {}, size = 2): Promise<TestCluster> {
  const balancer = createServer();
  const issuer = `http://127.0.0.1:${await listenOnLoopback(balancer)}`;
  const mail = await new SmtpSink().start();
  const clock = new TestClock();
  const config = testConfig(issuer, databaseUrl, { smtp: { url: mail.url, from: 'CCASS Authentication <no-reply@ccass.test>' }, ...overrides });

  const nodes: ClusterNode[] = [];
  for (let index = 0; index < size; index += 1) {
    const server = await buildServer(config, db, createLogger('silent'), { clock });
    const served: string[] = [];
    const callback = server.app.callback();
    const http = createServer((req, res) => {
      served.push(`${req.method} ${req.url?.split('?')[0]}`);
      void callback(req, res);
    });
    await listenOnLoopback(http);
    nodes.push({ index, server, http, served });
  }

  let choose: (method: string, path: string) => number;
  let turn = 0;
  const route: TestCluster['route'] = (choice) => {
    if (choice === 'alternate') choose = () => turn++ % size;
    else if (typeof choice === 'number') choose = () => choice;
    else choose = choice;
  };
  route('alternate');

  balancer.on('request', (req, res) => {
    const node = nodes[choose(req.method ?? 'GET', (req.url ?? '/').split('?')[0] as string)] as ClusterNode;
    const upstream = httpRequest(
      { host: '127.0.0.1', port: (node.http.address() as AddressInfo).port, method: req.method, path: req.url, headers: req.headers },
      (response) => {
        res.writeHead(response.statusCode ?? 502, response.rawHeaders);
        response.pipe(res);
      },
    );
    upstream.on('error', () => {
      res.writeHead(502);
      res.end();
    });
    req.pipe(upstream);
  });

  return {
    issuer,
    config,
    clock,
    mail,
    http: balancer,
    nodes,
    route,
    async close() {
      for (const node of nodes) {
        await node.server.stop();
        node.http.closeAllConnections();
        await new Promise<void>((resolve) => node.http.close(() => resolve()));
      }
      balancer.closeAllConnections();
      await new Promise<void>((resolve) => balancer.close(() => resolve()));
      await mail.stop();
    },
  };
}
