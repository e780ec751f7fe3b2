/**
 * `GET /status`: the public answer to "what can I use to log in today?" — the phase in
 * force, the next switch and the methods allowed. Nothing in it is secret (the same facts
 * are on the login page); who pinned a phase and why stays in the audit trail.
 */
import Router from '@koa/router';
import { phaseReport } from '../policy/phase-control.js';
import type { PhasePolicy } from '../policy/phase-policy.js';

export function statusRoutes(policy: PhasePolicy, smartcardConfigured: boolean): Router {
  const router = new Router();
  router.get('/status', async (ctx) => {
    const report = phaseReport(await policy.current());
    ctx.set('Cache-Control', 'no-store');
    ctx.body = {
      phase: report.phase,
      pinned: report.source === 'operator' ? { until: report.pin?.until ?? null } : null,
      nextSwitch: report.next,
      methods: { ...report.methods, smartcard: report.methods.smartcard && smartcardConfigured },
      enrolment: report.enrolment,
    };
  });
  return router;
}
