import { ConflictError, ValidationError } from '../errors.js';
import type { Queries } from '../store/index.js';
import { normaliseParticipantId, PARTICIPANT_ID_RULE } from './identifiers.js';

export interface ParticipantInput {
  id: string;
  name: string;
}

/** Registers a CCASS Participant (or Designated Bank) so that its users can be added. */
export async function addParticipant(queries: Pick<Queries, 'participants' | 'audit'>, input: ParticipantInput, actor: string) {
  const id = normaliseParticipantId(input.id);
  const name = input.name.trim();
  const fields: Record<string, string> = {};
  if (!id) fields['id'] = `participant ID must be ${PARTICIPANT_ID_RULE}`;
  if (name.length < 1 || name.length > 200) fields['name'] = 'name must be 1-200 characters';
  if (!id || Object.keys(fields).length) throw new ValidationError('Invalid participant', fields);

  if (!(await queries.participants.insert({ id, name }))) {
    throw new ConflictError(`participant ${id} already exists`);
  }
  await queries.audit.record({ type: 'participant.add', outcome: 'success', actor, participantId: id, details: { name } });
  return { id, name };
}
