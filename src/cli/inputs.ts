/**
 * What the operator names on the command line, checked before anything changes: files that
 * must exist (exit 3 when they do not, 2 when they cannot be read) and participants and users
 * that must exist (exit 3), each refused in catalogue words.
 */
import { readFile } from 'node:fs/promises';
import { normaliseParticipantId, normaliseUserId } from '../kernel/identifiers.js';
import { msg } from '../i18n/translate.js';
import type { Queries } from '../store/index.js';
import { CliError, EXIT } from './failures.js';

export async function readInputFile(file: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new CliError(EXIT.notFound, msg('cli.file.notFound', { file }));
    throw new CliError(EXIT.badInput, msg('cli.file.unreadable', { file, reason: code ?? (error as Error).message }));
  }
}

/**
 * The participant's ID if it exists; a participant ID that is not well-formed is returned
 * as typed (undefined), for the domain function to refuse with its rule.
 */
export async function existingParticipant(queries: Pick<Queries, 'participants'>, input: string): Promise<string | undefined> {
  const participantId = normaliseParticipantId(input);
  if (!participantId) return undefined;
  if (!(await queries.participants.findById(participantId))) throw new CliError(EXIT.notFound, msg('cli.participant.notFound', { participant: participantId }));
  return participantId;
}

/** Like existingParticipant, for a user of a participant. */
export async function existingUser(queries: Pick<Queries, 'participants' | 'users'>, participantInput: string, userInput: string): Promise<void> {
  const participantId = await existingParticipant(queries, participantInput);
  const userId = normaliseUserId(userInput);
  if (!participantId || !userId) return;
  if (!(await queries.users.findByLogin(participantId, userId))) throw new CliError(EXIT.notFound, msg('cli.user.notFound', { user: userId, participant: participantId }));
}
