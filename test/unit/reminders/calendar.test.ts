/**
 * Where the deadlines stand at an instant (src/reminders/calendar.ts): days left, the next
 * reminder day, what /status says, and which one the login page names, in which words.
 */
import { approachingDeadline, deadlinesJson, deadlineStandings, nextReminderDay } from '../../../src/reminders/calendar.js';
import type { Deadline } from '../../../src/reminders/due-causes.js';
import { deadlineNotice } from '../../../src/login/pages.js';

const DAY = 24 * 3600 * 1000;
const now = new Date('2023-06-01T02:00:00Z');
const after = (days: number) => new Date(now.getTime() + days * DAY);
const email: Deadline = { kind: 'emailRegistration', at: after(-3) };
const secondFactor: Deadline = { kind: 'secondFactor', at: after(10) };

describe('deadline calendar', () => {
  it('gives days left (rounded up), passed, and the next reminder day after now', () => {
    expect(deadlineStandings({ deadlines: [email, secondFactor], offsetsDays: [14, 7, 1] }, now)).toEqual([
      { ...email, passed: true, daysLeft: 0, nextReminder: undefined },
      { ...secondFactor, passed: false, daysLeft: 10, nextReminder: after(3) },
    ]);
    expect(deadlineStandings({ deadlines: [{ kind: 'secondFactor', at: new Date(now.getTime() + 3600_000) }], offsetsDays: [1] }, now)[0]).toMatchObject({ daysLeft: 1, nextReminder: undefined });
    expect(nextReminderDay(secondFactor, [14], now)).toBeUndefined();
    expect(nextReminderDay(secondFactor, [1, 14, 7], now)).toEqual(after(3));
  });

  it('writes ISO instants and passed flags, null for a deadline not set', () => {
    expect(deadlinesJson([secondFactor], now)).toEqual({ emailRegistration: null, secondFactor: { at: after(10).toISOString(), passed: false } });
    expect(deadlinesJson([email], now)).toEqual({ emailRegistration: { at: after(-3).toISOString(), passed: true }, secondFactor: null });
  });

  it('names the soonest deadline ahead within the largest offset', () => {
    const soon: Deadline = { kind: 'emailRegistration', at: after(5) };
    expect(approachingDeadline({ deadlines: [secondFactor, soon], offsetsDays: [14, 7, 1] }, now)).toEqual(soon);
    expect(approachingDeadline({ deadlines: [secondFactor], offsetsDays: [7, 1] }, now)).toBeUndefined();
    expect(approachingDeadline({ deadlines: [email], offsetsDays: [14] }, now)).toBeUndefined();
  });

  it('says when smartcard login ends with the second-factor deadline, unless the phase banner says so', () => {
    const calendar = { deadlines: [secondFactor], offsetsDays: [14, 7, 1] };
    expect(deadlineNotice({ ...calendar, smartcardEnds: after(20) }, now)).toEqual({ key: 'calendar.login.secondFactor', params: { deadline: after(10), cutOff: after(20) } });
    expect(deadlineNotice({ ...calendar, smartcardEnds: after(10) }, now)).toEqual({ key: 'calendar.login.secondFactorAtCutOff', params: { deadline: after(10) } });
    expect(deadlineNotice({ ...calendar, smartcardEnds: after(20) }, now, { key: 'banner.smartcardEnds', at: after(20) })).toEqual({ key: 'calendar.login.secondFactorOnly', params: { deadline: after(10) } });
    expect(deadlineNotice({ ...calendar, smartcardEnds: after(-1) }, now)).toEqual({ key: 'calendar.login.secondFactorOnly', params: { deadline: after(10) } });
    expect(deadlineNotice({ ...calendar, deadlines: [email] }, now)).toBeUndefined();
  });
});
