/**
 * The phase policy as the running server sees it: the configured schedule, plus the
 * operator's pin and pilot participants from PostgreSQL. Every node reads the same rows, so
 * `phase set` reaches the whole cluster within `phases.refreshSeconds` and nobody restarts.
 *
 * Only the store's rows are cached; the phase itself is computed from the clock at every
 * call, so a scheduled switch happens at its instant exactly.
 */
import type { Clock } from '../kernel/clock.js';
import type { PhaseControlQueries, PhasePinRow } from '../store/phase-controls.js';
import { assertEnrolmentOpen, phaseStateAt, type PhaseSchedule, type PhaseState } from './phases.js';

export interface PhasePlan extends PhaseSchedule {
  /** Pilot participants named in the configuration (the CLI can add more). */
  pilotParticipants: readonly string[];
  refreshSeconds: number;
}

export interface PolicySnapshot extends PhaseState {
  /** The operator's pin, when one is set (even if it has run out). */
  pin: PhasePinRow | undefined;
  /** Participants in the connectivity test, from configuration and the CLI. */
  pilots: ReadonlySet<string>;
}

export interface PhasePolicy {
  current(): Promise<PolicySnapshot>;
  /** Throws ForbiddenError while enrolment is closed. */
  assertEnrolmentOpen(): Promise<void>;
}

export function createPhasePolicy(plan: PhasePlan, controls: PhaseControlQueries, clock: Clock): PhasePolicy {
  let cached: { loadedAt: number; pin: PhasePinRow | undefined; pilots: ReadonlySet<string> } | undefined;

  async function controlsNow(now: Date) {
    const fresh = cached && now.getTime() - cached.loadedAt < plan.refreshSeconds * 1000 && now.getTime() >= cached.loadedAt;
    if (!fresh) {
      const [pin, pilots] = await Promise.all([controls.pin(), controls.pilots()]);
      cached = { loadedAt: now.getTime(), pin, pilots: new Set([...plan.pilotParticipants, ...pilots.map((row) => row.participant_id)]) };
    }
    return cached as NonNullable<typeof cached>;
  }

  async function current(): Promise<PolicySnapshot> {
    const now = clock.now();
    const { pin, pilots } = await controlsNow(now);
    return { ...phaseStateAt(plan, pin && { phase: pin.phase, until: pin.until }, now), pin, pilots };
  }

  return {
    current,
    async assertEnrolmentOpen() {
      assertEnrolmentOpen((await current()).phase);
    },
  };
}
