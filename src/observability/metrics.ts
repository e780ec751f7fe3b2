/**
 * Prometheus metrics (`GET /metrics`), one registry per server. Values that describe shared
 * state (the phase) are computed when scraped, so every node reports what it would enforce.
 */
import Router from '@koa/router';
import { Counter, Gauge, Registry } from 'prom-client';
import { PHASES } from '../policy/phases.js';
import type { PhasePolicy } from '../policy/phase-policy.js';

export interface Metrics {
  registry: Registry;
  /** Completed and refused logins by method (password+otp, smartcard) and outcome. */
  logins: Counter<'method' | 'outcome'>;
  /** Requests refused by a per-address limit, by limit. */
  rateLimited: Counter<'action'>;
  /** Accounts locked after repeated failures. */
  lockouts: Counter;
}

export function createMetrics(policy: PhasePolicy): Metrics {
  const registry = new Registry();
  new Gauge({
    name: 'ccass_auth_phase',
    help: 'The migration phase in force on this node (1 for the current phase, 0 for the others)',
    labelNames: ['phase'],
    registers: [registry],
    async collect() {
      const { phase } = await policy.current();
      for (const candidate of PHASES) this.set({ phase: candidate }, candidate === phase ? 1 : 0);
    },
  });
  new Gauge({
    name: 'ccass_auth_phase_next_switch_timestamp_seconds',
    help: 'When the next known phase switch happens (Unix time; 0 when none is scheduled)',
    registers: [registry],
    async collect() {
      const { next } = await policy.current();
      this.set(next ? Math.floor(next.at.getTime() / 1000) : 0);
    },
  });
  const logins = new Counter({
    name: 'ccass_auth_logins_total',
    help: 'Login attempts that reached a verdict, by method and outcome',
    labelNames: ['method', 'outcome'],
    registers: [registry],
  });
  const rateLimited = new Counter({
    name: 'ccass_auth_rate_limited_total',
    help: 'Requests refused because their address used up a limit, by limit',
    labelNames: ['action'],
    registers: [registry],
  });
  const lockouts = new Counter({
    name: 'ccass_auth_lockouts_total',
    help: 'Accounts locked after repeated failed attempts',
    registers: [registry],
  });
  return { registry, logins, rateLimited, lockouts };
}

export function metricsRoutes(metrics: Metrics): Router {
  const router = new Router();
  router.get('/metrics', async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    ctx.type = metrics.registry.contentType;
    ctx.body = await metrics.registry.metrics();
  });
  return router;
}
