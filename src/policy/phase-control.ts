/**
 * What operators do to the migration while it runs (`ccass-auth phase …`): pin a phase
 * (optionally until a Hong Kong time), clear the pin, and name pilot participants. Each
 * change is one row in PostgreSQL, read by every node within `phases.refreshSeconds`, and
 * one audit record.
 */
import type { Clock } from '../kernel/clock.js';
import { auditEvent, type Actor } from '../kernel/actor.js';
import { normaliseParticipantId } from '../kernel/identifiers.js';
import { NotFoundError, ValidationError } from '../kernel/errors.js';
import { msg, type Message } from '../i18n/translate.js';
import type { Queries } from '../store/index.js';
import type { PhasePinRow } from '../store/phase-controls.js';
import { phaseAllows } from './access.js';
import { formatHongKongTime, parseHongKongTime } from '../kernel/hong-kong-time.js';
import { PHASES, phaseStateAt, type Phase, type PhaseSchedule, type PhaseState } from './phases.js';

export interface PhaseControlDependencies {
  queries: Pick<Queries, 'phaseControls' | 'participants' | 'audit'>;
  clock: Clock;
  plan: PhaseSchedule & { pilotParticipants: readonly string[] };
}

export interface PinRequest {
  phase: string;
  /** Hong Kong time ("2023-09-30T18:00"); unset: until cleared. */
  until?: string | undefined;
  reason?: string | undefined;
}

function isPhase(value: string): value is Phase {
  return (PHASES as readonly string[]).includes(value);
}

function describePin(pin: PhasePinRow | undefined) {
  return pin ? { phase: pin.phase, until: pin.until?.toISOString() ?? null, setBy: pin.set_by } : null;
}

export async function pinPhase(deps: PhaseControlDependencies, request: PinRequest, actor: Actor): Promise<PhaseState> {
  // Each problem as a code (for the API's fields) and a sentence (for the operator).
  const fields: Record<string, string> = {};
  const problems: Message[] = [];
  if (!isPhase(request.phase)) {
    fields['phase'] = 'unknown_phase';
    problems.push(msg('problem.pin.phase', { phases: PHASES.join(', ') }));
  }
  const now = deps.clock.now();
  const until = request.until === undefined ? null : parseHongKongTime(request.until);
  if (until === undefined) {
    fields['until'] = 'invalid_time';
    problems.push(msg('problem.pin.until'));
  } else if (until && until.getTime() <= now.getTime()) {
    fields['until'] = 'not_later_than_now';
    problems.push(msg('problem.pin.untilPast', { now }));
  }
  const reason = request.reason?.trim();
  if (reason !== undefined && (reason.length === 0 || reason.length > 500)) {
    fields['reason'] = 'length';
    problems.push(msg('problem.pin.reason'));
  }
  if (problems.length || !isPhase(request.phase) || until === undefined) throw new ValidationError(problems, fields);

  const pin: PhasePinRow = { phase: request.phase, until, reason: reason ?? null, set_by: actor.name, set_at: now };
  const previous = await deps.queries.phaseControls.setPin(pin);
  await deps.queries.audit.record(auditEvent(actor, 'phase.pin', 'success', null, { pin: describePin(pin), previous: describePin(previous), reason: reason ?? null }));
  return phaseStateAt(deps.plan, pin, now);
}

/** Removes the pin; the configuration (override or schedule) is in force again. */
export async function clearPhasePin(deps: PhaseControlDependencies, actor: Actor): Promise<PhaseState> {
  const removed = await deps.queries.phaseControls.clearPin();
  if (!removed) throw new NotFoundError('problem.noPin');
  await deps.queries.audit.record(auditEvent(actor, 'phase.clear', 'success', null, { previous: describePin(removed) }));
  return phaseStateAt(deps.plan, null, deps.clock.now());
}

async function pilotParticipant(deps: PhaseControlDependencies, input: string): Promise<string> {
  const participantId = normaliseParticipantId(input);
  if (!participantId) throw new ValidationError('problem.participantInvalid', { participant: 'invalid_participant_id' });
  if (!(await deps.queries.participants.findById(participantId))) throw new NotFoundError(msg('problem.participantUnknown', { participant: participantId }));
  return participantId;
}

/** Puts a participant in the connectivity test: password + OTP login during email registration. */
export async function addPilotParticipant(deps: PhaseControlDependencies, input: string, actor: Actor): Promise<{ participantId: string; added: boolean }> {
  const participantId = await pilotParticipant(deps, input);
  const added = await deps.queries.phaseControls.addPilot({ participant_id: participantId, added_by: actor.name, added_at: deps.clock.now() });
  if (added) await deps.queries.audit.record(auditEvent(actor, 'phase.pilot_add', 'success', { participantId }));
  return { participantId, added };
}

export async function removePilotParticipant(deps: PhaseControlDependencies, input: string, actor: Actor): Promise<{ participantId: string }> {
  const participantId = await pilotParticipant(deps, input);
  if (!(await deps.queries.phaseControls.removePilot(participantId))) {
    const inConfig = deps.plan.pilotParticipants.includes(participantId);
    throw new NotFoundError(msg(inConfig ? 'problem.pilotInConfiguration' : 'problem.notPilot', { participant: participantId }));
  }
  await deps.queries.audit.record(auditEvent(actor, 'phase.pilot_remove', 'success', { participantId }));
  return { participantId };
}

/** The phase in force and what it allows: for `phase show`, `GET /status` and the metric. */
export interface PhaseReport {
  phase: Phase;
  source: PhaseState['source'];
  next: { phase: Phase; at: string; hongKongTime: string } | null;
  methods: { smartcard: boolean; twoFactor: boolean; twoFactorPilotsOnly: boolean };
  enrolment: boolean;
  pin: { phase: Phase; until: string | null; setBy: string; setAt: string; reason: string | null } | null;
}

export function phaseReport(state: PhaseState & { pin?: PhasePinRow | undefined }): PhaseReport {
  const everyone = phaseAllows(state.phase, false);
  const pilots = phaseAllows(state.phase, true);
  const pinActive = state.source === 'operator' && state.pin;
  return {
    phase: state.phase,
    source: state.source,
    next: state.next && { phase: state.next.phase, at: state.next.at.toISOString(), hongKongTime: formatHongKongTime(state.next.at) },
    methods: { smartcard: everyone.smartcard, twoFactor: everyone.twoFactor, twoFactorPilotsOnly: !everyone.twoFactor && pilots.twoFactor },
    enrolment: everyone.enrolment,
    pin: pinActive
      ? { phase: pinActive.phase, until: pinActive.until?.toISOString() ?? null, setBy: pinActive.set_by, setAt: pinActive.set_at.toISOString(), reason: pinActive.reason }
      : null,
  };
}
