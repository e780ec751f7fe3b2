import fc from 'fast-check';
import { loadConfig } from '../../../src/config/load.js';
import { causeKey, configuredDeadlines, dueCauses, dueOffsets, notReadyFor, type Deadline, type ReminderUser } from '../../../src/reminders/due-causes.js';
import { READINESS_STATES } from '../../../src/store/users.js';

const DAY = 24 * 3600 * 1000;
const EMAIL_DEADLINE: Deadline = { kind: 'emailRegistration', at: new Date('2023-03-31T16:00:00Z') };
const CUT_OFF: Deadline = { kind: 'secondFactor', at: new Date('2023-06-25T16:00:00Z') };
const before = (deadline: Deadline, days: number) => new Date(deadline.at.getTime() - days * DAY);

const user = (id: string, extra: Partial<ReminderUser> = {}): ReminderUser => ({
  id,
  participantId: 'B01234',
  email: `${id}@firm.test`,
  role: 'user',
  status: 'active',
  readiness: 'no-email',
  excepted: [],
  ...extra,
});

describe('deadlines from configuration', () => {
  it('reads Hong Kong times, the second-factor deadline defaulting to the start of 2fa-only', () => {
    const config = loadConfig({ raw: { deadlines: { emailRegistration: '2023-04-01' }, phases: { schedule: [{ phase: 'email-registration', from: '2022-12-19' }, { phase: '2fa-only', from: '2023-06-26' }] } }, env: {} });
    expect(configuredDeadlines(config)).toEqual([EMAIL_DEADLINE, CUT_OFF]);
  });

  it('has no deadline that is neither set nor derived', () => {
    expect(configuredDeadlines(loadConfig({ raw: {}, env: {} }))).toEqual([]);
  });

  it('refuses offsets that repeat or are not positive whole days, and dates that are not Hong Kong times, naming the key', () => {
    expect(() => loadConfig({ raw: { reminders: { offsetsDays: [7, 7] } }, env: {} })).toThrow(/reminders\.offsetsDays/);
    expect(() => loadConfig({ raw: { reminders: { offsetsDays: [0] } }, env: {} })).toThrow(/reminders\.offsetsDays/);
    expect(() => loadConfig({ raw: { reminders: { offsetsDays: [1.5] } }, env: {} })).toThrow(/reminders\.offsetsDays/);
    expect(() => loadConfig({ raw: { deadlines: { secondFactor: '31/03/2023' } }, env: {} })).toThrow(/deadlines\.secondFactor/);
    expect(() => loadConfig({ raw: { reminders: { operatorEmails: ['not an address'] } }, env: {} })).toThrow(/reminders\.operatorEmails/);
    expect(() => loadConfig({ raw: { deadlines: { emailRegistration: '2022-12-01' }, phases: { schedule: [{ phase: 'email-registration', from: '2022-12-19' }] } }, env: {} })).toThrow(/deadlines\.emailRegistration/);
  });

  it('takes offsets and operators from the environment', () => {
    const config = loadConfig({ raw: {}, env: { REMINDER_OFFSETS_DAYS: '10, 3', REMINDER_OPERATOR_EMAILS: 'ops@hkex.test,desk@hkex.test', DEADLINE_SECOND_FACTOR: '2023-06-26' } });
    expect(config.reminders).toEqual({ offsetsDays: [10, 3], operatorEmails: ['ops@hkex.test', 'desk@hkex.test'] });
    expect(configuredDeadlines(config)).toEqual([CUT_OFF]);
  });
});

describe('which offset is due', () => {
  it('is the latest offset passed, none before the first, none from the deadline on', () => {
    const offsets = [14, 7, 1];
    expect(dueOffsets([EMAIL_DEADLINE], offsets, before(EMAIL_DEADLINE, 15))).toEqual([]);
    expect(dueOffsets([EMAIL_DEADLINE], offsets, before(EMAIL_DEADLINE, 14))).toEqual([{ deadline: EMAIL_DEADLINE, offsetDays: 14 }]);
    expect(dueOffsets([EMAIL_DEADLINE], offsets, before(EMAIL_DEADLINE, 10))).toEqual([{ deadline: EMAIL_DEADLINE, offsetDays: 14 }]);
    expect(dueOffsets([EMAIL_DEADLINE], offsets, before(EMAIL_DEADLINE, 5))).toEqual([{ deadline: EMAIL_DEADLINE, offsetDays: 7 }]);
    expect(dueOffsets([EMAIL_DEADLINE], offsets, before(EMAIL_DEADLINE, 0.5))).toEqual([{ deadline: EMAIL_DEADLINE, offsetDays: 1 }]);
    expect(dueOffsets([EMAIL_DEADLINE], offsets, EMAIL_DEADLINE.at)).toEqual([]);
  });
});

describe('who is reminded', () => {
  const now = before(EMAIL_DEADLINE, 7);
  const input = (users: ReminderUser[], operatorEmails: string[] = []) => ({ deadlines: [EMAIL_DEADLINE, CUT_OFF], offsetsDays: [14, 7, 1], now, users, operatorEmails });

  it('reminds each user not ready for a due deadline, and their firm’s active DAs with every such user, mailable or not', () => {
    const users = [
      user('u1', { readiness: 'activation-sent' }),
      user('u2', { email: null, readiness: 'no-email' }),
      user('u3', { readiness: 'ready' }),
      user('u4', { readiness: 'password-set' }),
      user('da1', { role: 'da', readiness: 'ready' }),
      user('da2', { role: 'da', readiness: 'ready', status: 'disabled' }),
      user('da3', { role: 'da', readiness: 'ready', participantId: 'C00001' }),
    ];
    const causes = dueCauses(input(users, ['Ops@HKEX.test', 'ops@hkex.test']));
    const base = { deadline: 'emailRegistration', date: EMAIL_DEADLINE.at, offsetDays: 7 };
    expect(causes).toEqual([
      { ...base, kind: 'reminder', userId: 'u1' },
      { ...base, kind: 'digest', daId: 'da1', participantId: 'B01234', userIds: ['u1', 'u2'] },
      { ...base, kind: 'report', to: 'ops@hkex.test' },
    ]);
  });

  it('does not remind a user whose live exception lifts that deadline', () => {
    const causes = dueCauses(input([user('u1', { readiness: 'activation-sent', excepted: ['emailRegistration'] }), user('da1', { role: 'da', readiness: 'ready' })]));
    expect(causes).toEqual([]);
  });

  it('names each cause by recipient, deadline, date and offset only', () => {
    const [cause] = dueCauses(input([user('u1', { readiness: 'activation-sent' })]));
    expect(causeKey(cause!)).toBe('reminder:emailRegistration:2023-03-31T16:00:00.000Z:7:u1');
  });

  it('finds the same causes at every instant of one offset’s window, and never for a ready user (property)', () => {
    const state = fc.constantFrom(...READINESS_STATES);
    const users = fc.uniqueArray(
      fc.record({ id: fc.uuid(), participantId: fc.constantFrom('A1', 'B2'), email: fc.option(fc.emailAddress(), { nil: null }), role: fc.constantFrom('user' as const, 'da' as const), status: fc.constantFrom('active', 'pending', 'disabled'), readiness: state, excepted: fc.subarray(['emailRegistration', 'secondFactor'] as const) }),
      { selector: (entry) => entry.id, maxLength: 12 },
    );
    const offsets = fc.uniqueArray(fc.integer({ min: 1, max: 30 }), { minLength: 1, maxLength: 4 });
    fc.assert(
      fc.property(users, offsets, fc.integer({ min: 0, max: 40 * 24 }), fc.integer({ min: 0, max: 40 * 24 }), (people, days, hoursA, hoursB) => {
        const at = (hours: number) => new Date(CUT_OFF.at.getTime() - hours * 3600 * 1000);
        const keys = (hours: number) => dueCauses({ deadlines: [CUT_OFF], offsetsDays: days, now: at(hours), users: people, operatorEmails: [] }).map(causeKey);
        const due = (hours: number) => dueOffsets([CUT_OFF], days, at(hours))[0]?.offsetDays;
        if (due(hoursA) === due(hoursB)) expect(keys(hoursA)).toEqual(keys(hoursB));
        for (const cause of dueCauses({ deadlines: [CUT_OFF], offsetsDays: days, now: at(hoursA), users: people, operatorEmails: [] })) {
          if (cause.kind !== 'reminder') continue;
          const person = people.find((entry) => entry.id === cause.userId)!;
          expect(notReadyFor('secondFactor', person.readiness)).toBe(true);
          expect(person.excepted).not.toContain('secondFactor');
          expect(person.email).not.toBeNull();
        }
        expect(new Set(keys(hoursA)).size).toBe(keys(hoursA).length);
      }),
      { numRuns: 200 },
    );
  });
});
