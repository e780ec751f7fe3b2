/** TOTP against real PostgreSQL: encryption at rest, single use, and concurrent submissions. */
import { toBase32 } from '../../../src/factors/totp.js';
import { confirmTotpEnrolment, pendingTotpEnrolment, verifyTotp } from '../../../src/factors/totp-service.js';
import { createLogger } from '../../../src/observability/logger.js';
import { buildServer, type Server } from '../../../src/app/server.js';
import { connectDatabase } from '../../../src/store/database.js';
import { createTestDatabase, type TestDatabase } from '../../support/database.js';
import { TestClock } from '../../support/clock.js';
import { seedUser, testConfig, type SeededUser } from '../../support/server.js';
import { rfc6238, secretFromUri } from '../../support/totp.js';

describe('TOTP with PostgreSQL', () => {
  let database: TestDatabase;
  let server: Server;
  const clock = new TestClock();
  beforeAll(async () => {
    database = await createTestDatabase();
    server = await buildServer(testConfig('http://127.0.0.1:1', database.url), database.db, createLogger('silent'), { clock });
  });
  afterAll(async () => {
    await server.stop();
    await database.drop();
  });

  let counter = 0;
  async function enrolledUser(): Promise<SeededUser> {
    counter += 1;
    return seedUser(server, testConfig('http://127.0.0.1:1', database.url), { participantId: 'B01234', userId: `T${counter}` }, clock);
  }
  const codeNow = (user: SeededUser, offsetSteps = 0) => rfc6238(user.totpSecret as Buffer, clock.now().getTime() / 1000 + offsetSteps * 30);

  it('accepts a current code once, and refuses it the second time', async () => {
    const user = await enrolledUser();
    const code = codeNow(user);
    expect(await verifyTotp(server.totp, user.subject, code)).toBe('accepted');
    expect(await verifyTotp(server.totp, user.subject, code)).toBe('replayed');
  });

  it('refuses an older code after a newer one was accepted (RFC 6238 §5.2)', async () => {
    const user = await enrolledUser();
    expect(await verifyTotp(server.totp, user.subject, codeNow(user, +1))).toBe('accepted');
    expect(await verifyTotp(server.totp, user.subject, codeNow(user, 0))).toBe('replayed');
    expect(await verifyTotp(server.totp, user.subject, codeNow(user, -1))).toBe('replayed');
  });

  it('refuses a wrong code', async () => {
    const user = await enrolledUser();
    const right = codeNow(user);
    const wrong = right === '000000' ? '000001' : '000000';
    expect(await verifyTotp(server.totp, user.subject, wrong)).toBe('rejected');
  });

  it('gives exactly one success when the same code arrives on two nodes at once', async () => {
    const user = await enrolledUser();
    // A second "node": its own server instance on its own connection pool.
    const otherPool = connectDatabase(database.url, { min: 0, max: 4 });
    const otherNode = await buildServer(testConfig('http://127.0.0.1:1', database.url), otherPool, createLogger('silent'), { clock });
    try {
      for (let round = 0; round < 5; round += 1) {
        const code = codeNow(user);
        const verdicts = await Promise.all([
          verifyTotp(server.totp, user.subject, code),
          verifyTotp(otherNode.totp, user.subject, code),
          verifyTotp(server.totp, user.subject, code),
          verifyTotp(otherNode.totp, user.subject, code),
        ]);
        expect(verdicts.filter((verdict) => verdict === 'accepted')).toHaveLength(1);
        expect(verdicts.filter((verdict) => verdict === 'replayed')).toHaveLength(3);
        clock.advance(30);
      }
    } finally {
      await otherNode.stop();
      await otherPool.destroy();
    }
  });

  it('stores the secret encrypted: neither its base32 nor its bytes appear in the row', async () => {
    const user = await enrolledUser();
    const row = await database.db('totp_credentials').where({ user_id: user.subject }).first();
    const secret = user.totpSecret as Buffer;
    const stored = JSON.stringify(row);
    for (const form of [toBase32(secret), secret.toString('hex'), secret.toString('base64'), secret.toString('base64url'), secret.toString('latin1')]) {
      expect(stored).not.toContain(form);
    }
    expect(row.secret_ciphertext).toMatch(/^v1:[\w-]+:[\w-]+:[\w-]+$/);
  });

  it('activates an enrolment only with a valid code for the pending secret, and keeps showing the same secret until then', async () => {
    counter += 1;
    const user = await seedUser(server, testConfig('http://127.0.0.1:1', database.url), { participantId: 'B01234', userId: `E${counter}`, secondFactor: 'none' }, clock);
    const ref = { id: user.subject, participant_id: user.participantId, user_id: user.userId };
    const first = await pendingTotpEnrolment(server.totp, ref);
    const again = await pendingTotpEnrolment(server.totp, ref);
    expect(again.uri).toBe(first.uri);
    expect(first.uri).toMatch(/^otpauth:\/\/totp\/HKSCC%20CCASS%3AB01234%20E\d+\?/);
    expect(await verifyTotp(server.totp, user.subject, '123456')).toBe('not_enrolled');

    const secret = secretFromUri(first.uri);
    const wrong = rfc6238(secret, clock.now().getTime() / 1000 + 5 * 30);
    expect(await confirmTotpEnrolment(server.totp, user.subject, wrong)).toBe('rejected');
    const confirming = rfc6238(secret, clock.now().getTime() / 1000);
    expect(await confirmTotpEnrolment(server.totp, user.subject, confirming)).toBe('accepted');
    // The confirming code's step is used: it does not work again for a login.
    expect(await verifyTotp(server.totp, user.subject, confirming)).toBe('replayed');
    clock.advance(30);
    expect(await verifyTotp(server.totp, user.subject, rfc6238(secret, clock.now().getTime() / 1000))).toBe('accepted');
  });

  it('keeps the active secret working until a new one is confirmed, then only the new one', async () => {
    const user = await enrolledUser();
    const ref = { id: user.subject, participant_id: user.participantId, user_id: user.userId };
    const replacement = secretFromUri((await pendingTotpEnrolment(server.totp, ref)).uri);
    expect(replacement).not.toEqual(user.totpSecret);
    expect(await verifyTotp(server.totp, user.subject, codeNow(user))).toBe('accepted');

    clock.advance(30);
    expect(await confirmTotpEnrolment(server.totp, user.subject, rfc6238(replacement, clock.now().getTime() / 1000))).toBe('accepted');
    clock.advance(30);
    expect(await verifyTotp(server.totp, user.subject, codeNow(user))).toBe('rejected');
    expect(await verifyTotp(server.totp, user.subject, rfc6238(replacement, clock.now().getTime() / 1000))).toBe('accepted');
    expect(await confirmTotpEnrolment(server.totp, user.subject, '123456')).toBe('not_enrolled');
  });
});
