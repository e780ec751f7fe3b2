/** Development mail: with no SMTP, queued messages land in the outbox folder and the log says where — without the code. */
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { sendEmailOtp } from '../../src/factors/email-otp.js';
import { createMailer } from '../../src/mail/mailer.js';
import { createLogger } from '../../src/observability/logger.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { seedUser, testConfig } from '../support/server.js';
import { buildServer } from '../../src/app/server.js';

describe('development outbox', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await database.drop();
  });

  it('writes each message to a file, logs the file, and never logs the code', async () => {
    const lines: string[] = [];
    const log = createLogger('info', new Writable({ write: (chunk, _encoding, done) => (lines.push(String(chunk)), done()) }) as never);
    const outboxDir = mkdtempSync(path.join(tmpdir(), 'ccass-outbox-'));
    const mailer = createMailer({ from: 'CCASS <no-reply@ccass.test>', outboxDir }, log);
    const config = testConfig('http://127.0.0.1:1', database.url);
    const server = await buildServer(config, database.db, createLogger('silent'), { mailer });
    const user = await seedUser(server, config, { participantId: 'B01234', userId: 'OUTBOX', email: 'outbox@example.com', secondFactor: 'email' });

    const outcome = await sendEmailOtp(server.emailOtp, { id: user.subject, email: 'outbox@example.com' }, 'interaction-outbox');
    if (!outcome.queued) throw new Error('not queued');
    expect(await server.outbox.firstAttempt(outcome.mailJobId, 10_000)).toBe('sent');
    const files = readdirSync(outboxDir);
    expect(files).toHaveLength(1);
    const message = readFileSync(path.join(outboxDir, files[0] as string), 'utf8');
    const code = /is: (\d{6})/.exec(message)?.[1] as string;
    expect(code).toMatch(/^\d{6}$/);
    expect(message).toContain('To: outbox@example.com');

    const logged = lines.join('');
    expect(logged).toContain(files[0]);
    expect(logged).toContain('no SMTP configured');
    expect(logged).not.toContain(code);
    await server.stop();
  });
});
