/** Key registration against real PostgreSQL: the per-user limit holds when registrations race. */
import { buildServer, type Server } from '../../../src/app/server.js';
import { beginRegistration, finishRegistration } from '../../../src/factors/webauthn.js';
import { createLogger } from '../../../src/observability/logger.js';
import { TestClock } from '../../support/clock.js';
import { createTestDatabase, type TestDatabase } from '../../support/database.js';
import { seedUser, testConfig } from '../../support/server.js';
import { SoftAuthenticator } from '../../support/soft-authenticator.js';

describe('security-key registration with PostgreSQL', () => {
  let database: TestDatabase;
  let server: Server;
  const clock = new TestClock();
  const issuer = 'http://localhost:1';
  beforeAll(async () => {
    database = await createTestDatabase();
    server = await buildServer(testConfig(issuer, database.url), database.db, createLogger('silent'), { clock });
  });
  afterAll(async () => {
    await server.stop();
    await database.drop();
  });

  it('registers at most the limit when several registrations of one user finish at once', async () => {
    const seeded = await seedUser(server, testConfig(issuer, database.url), { participantId: 'B01234', userId: 'RACER' }, clock);
    const user = (await server.queries.users.findBySubject(seeded.subject))!;
    const webauthn = { ...server.webauthn, settings: { ...server.webauthn.settings, maxCredentialsPerUser: 2 } };
    const keys = Array.from({ length: 5 }, () => new SoftAuthenticator({ rpId: 'localhost', origin: 'http://localhost:1' }));
    const ceremonies = await Promise.all(keys.map(async (key, index) => ({ key, binding: `race-${index}`, options: await beginRegistration(webauthn, { user, binding: `race-${index}` }) })));
    const verdicts = await Promise.all(
      ceremonies.map(({ key, binding, options }) =>
        server.queries.transaction((within) =>
          finishRegistration({ ...webauthn, credentials: within.webauthnCredentials, challenges: within.webauthnChallenges }, { user, binding }, key.register(options), { name: binding, registeredWith: 'security_page' }),
        ),
      ),
    );
    expect(verdicts.filter((verdict) => verdict.kind === 'registered')).toHaveLength(2);
    expect(verdicts.filter((verdict) => verdict.kind === 'refused' && verdict.reason === 'too_many_keys')).toHaveLength(3);
    expect(await server.queries.webauthnCredentials.countForUser(user.id)).toBe(2);
  });
});
