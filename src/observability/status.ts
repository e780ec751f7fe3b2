/**
 * `GET /status`: the public answer to "what can I use to log in today?" — the phase in
 * force, the next switch and the methods allowed. Nothing in it is secret (the same facts
 * are on the login page); who pinned a phase and why stays in the audit trail.
 */
import Router from '@koa/router';
import { phaseReport } from '../policy/phase-control.js';
import type { PhasePolicy } from '../policy/phase-policy.js';
import { systemClock, type Clock } from '../kernel/clock.js';
import { deadlinesJson } from '../reminders/calendar.js';
import type { Deadline } from '../reminders/due-causes.js';

export function statusRoutes(policy: PhasePolicy, smartcardConfigured: boolean, calendar: { deadlines: readonly Deadline[]; clock?: Clock } = { deadlines: [] }): Router {
  const clock = calendar.clock ?? systemClock;
  const router = new Router({ sensitive: true });
  router.get('/status', async (ctx) => {
    const report = phaseReport(await policy.current());
    ctx.set('Cache-Control', 'no-store');
    ctx.body = {
      phase: report.phase,
      pinned: report.source === 'operator' ? { until: report.pin?.until ?? null } : null,
      nextSwitch: report.next,
      methods: { ...report.methods, smartcard: report.methods.smartcard && smartcardConfigured },
      enrolment: report.enrolment,
      deadlines: deadlinesJson(calendar.deadlines, clock.now()),
    };
  });
  return router;
}
