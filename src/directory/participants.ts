import type { Actor } from '../kernel/actor.js';
import { ConflictError, ValidationError } from '../kernel/errors.js';
import { msg } from '../i18n/translate.js';
import type { Queries } from '../store/index.js';
import { normaliseParticipantId } from '../kernel/identifiers.js';

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
