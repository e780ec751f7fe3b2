/** What the reminder tests share: Hong Kong times written as the configuration writes them, and a firm of users in every state. */
import type { Config } from '../../src/config/schema.js';
import type { Server } from '../../src/app/server.js';
import { seedUser } from './server.js';
import type { TestClock } from './clock.js';

export const DAY_SECONDS = 24 * 3600;

/** `instant` as a Hong Kong time like "2023-06-26T08:00" (minutes; seconds dropped). */
export function hongKongText(instant: Date): string {
  return new Date(instant.getTime() + 8 * 3600 * 1000).toISOString().slice(0, 16);
}

/** A whole minute `days` from `from`, as the instant the configuration will read back. */
export function daysFrom(from: Date, days: number): Date {
  const at = new Date(from.getTime() + days * DAY_SECONDS * 1000);
  at.setUTCSeconds(0, 0);
  return at;
}

/**
 * Firm `participantId` with: two active DAs (ready), a user with an address who has not
 * activated, a user with no address, a user with a password and no second factor, a ready user.
 * Addresses are `<userId>@<participant>.test`, lower case.
 */
export async function seedFirm(server: Server, config: Config, participantId: string, clock: TestClock): Promise<Record<'da1' | 'da2' | 'pending' | 'noEmail' | 'noFactor' | 'ready', string>> {
  const address = (userId: string) => `${userId.toLowerCase()}@${participantId.toLowerCase()}.test`;
  const seeded: Record<string, string> = {};
  for (const [key, userId] of [['da1', 'DA1'], ['da2', 'DA2']] as const) {
    const da = await seedUser(server, config, { participantId, userId, email: address(userId) }, clock);
    await server.queries.users.setRole(da.subject, 'da');
    seeded[key] = address(userId);
  }
  await seedUser(server, config, { participantId, userId: 'PENDING', email: address('PENDING'), status: 'pending', secondFactor: 'none' }, clock);
  seeded['pending'] = address('PENDING');
  await seedUser(server, config, { participantId, userId: 'NOEMAIL', status: 'pending', secondFactor: 'none' }, clock);
  seeded['noEmail'] = 'NOEMAIL';
  await seedUser(server, config, { participantId, userId: 'NOFACTOR', email: address('NOFACTOR'), secondFactor: 'none' }, clock);
  seeded['noFactor'] = address('NOFACTOR');
  await seedUser(server, config, { participantId, userId: 'READY', email: address('READY') }, clock);
  seeded['ready'] = address('READY');
  return seeded as Record<'da1' | 'da2' | 'pending' | 'noEmail' | 'noFactor' | 'ready', string>;
}
