import type { Actor } from '../kernel/actor.js';
import { ConflictError, NotFoundError, ValidationError } from '../kernel/errors.js';
import { msg } from '../i18n/translate.js';
import type { Queries } from '../store/index.js';
import { isPlainText, normaliseParticipantId } from '../kernel/identifiers.js';

export interface ParticipantInput {
  id: string;
  name: string;
}

/** Registers a CCASS Participant (or Designated Bank) so that its users can be added. */
export async function addParticipant(queries: Pick<Queries, 'participants' | 'audit'>, input: ParticipantInput, actor: Actor) {
  const id = normaliseParticipantId(input.id);
  const name = input.name.trim();
  const fields: Record<string, string> = {};
  if (!id) fields['id'] = 'invalid_participant_id';
  if (name.length < 1 || name.length > 200) fields['name'] = 'name_length';
  if (!id || Object.keys(fields).length) throw new ValidationError(!id ? 'directory.participantIdRule' : 'directory.participantNameRule', fields);

  if (!(await queries.participants.insert({ id, name }))) {
    throw new ConflictError(msg('directory.participantExists', { participant: id }));
  }
  await queries.audit.record({ type: 'participant.add', outcome: 'success', actor: actor.name, participantId: id, details: { name } });
  return { id, name };
}

export const EXEMPTION_REASON_MAX_LENGTH = 500;

/**
 * The operator's sole-DA exemption from maker-checker (src/policy/maker-checker.ts): a firm
 * with one active DA may then act alone. A firm with two or more active DAs needs a checker
 * whatever the flag says. Audited with its reason, even when it changes nothing (an operator's
 * decision is on record as taken). Returns whether the flag changed.
 */
export async function setSoleDaExemption(queries: Pick<Queries, 'participants' | 'audit' | 'transaction'>, input: { id: string; exempt: boolean; reason: string }, actor: Actor): Promise<{ id: string; changed: boolean }> {
  const id = normaliseParticipantId(input.id);
  if (!id) throw new ValidationError('directory.participantIdRule', { id: 'invalid_participant_id' });
  const reason = input.reason.replace(/\s+/g, ' ').trim();
  if (!reason || reason.length > EXEMPTION_REASON_MAX_LENGTH || !isPlainText(reason)) throw new ValidationError('cli.participant.soleDaExempt.reason', { reason: 'invalid_reason' });
  return queries.transaction(async (within) => {
    if (!(await within.participants.findById(id))) throw new NotFoundError(msg('cli.participant.notFound', { participant: id }));
    const changed = await within.participants.setSoleDaExempt(id, input.exempt);
    await within.audit.record({ type: 'participant.sole_da_exempt', outcome: 'success', actor: actor.name, participantId: id, details: { exempt: input.exempt, reason, changed } });
    return { id, changed };
  });
}
