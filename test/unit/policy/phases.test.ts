import { enrolmentOpen, phaseAt, phaseStateAt, type PhaseSchedule } from '../../../src/policy/phases.js';
import { describeHongKongTime, formatHongKongTime, parseHongKongTime } from '../../../src/kernel/hong-kong-time.js';

/** The circular's schedule, as an operator would write it. */
const circular: PhaseSchedule = {
  schedule: [
    { phase: 'email-registration', from: '2022-12-19' },
    { phase: 'parallel-run', from: '2023-05-02T09:00' },
    { phase: '2fa-only', from: '2023-06-26' },
  ],
};
const at = (iso: string) => new Date(iso);

describe('migration phases', () => {
  it('reads schedule times as Hong Kong time (UTC+8)', () => {
    expect(parseHongKongTime('2022-12-19')?.toISOString()).toBe('2022-12-18T16:00:00.000Z');
    expect(parseHongKongTime('2023-05-02T09:00')?.toISOString()).toBe('2023-05-02T01:00:00.000Z');
    expect(formatHongKongTime(at('2023-05-02T01:00:00.000Z'))).toBe('2023-05-02 09:00');
    expect(describeHongKongTime(at('2023-06-25T16:00:00.000Z'))).toBe('26 June 2023, 00:00 (Hong Kong time)');
  });

  it('refuses dates that do not exist or are not in the documented form', () => {
    for (const value of ['2023-02-30', '2023-13-01', '2023-06-26T24:00', '26/06/2023', '2023-06-26T08:00Z', '']) {
      expect(parseHongKongTime(value)).toBeUndefined();
    }
  });

  it.each([
    ['2022-12-18T15:59:59.999Z', 'smartcard-only'],
    ['2022-12-18T16:00:00.000Z', 'email-registration'],
    ['2023-05-02T00:59:59.999Z', 'email-registration'],
    ['2023-05-02T01:00:00.000Z', 'parallel-run'],
    ['2023-06-25T15:59:59.999Z', 'parallel-run'],
    ['2023-06-25T16:00:00.000Z', '2fa-only'],
    ['2030-01-01T00:00:00.000Z', '2fa-only'],
  ])('at %s the phase is %s (each switch at its first millisecond)', (instant, phase) => {
    expect(phaseAt(circular, at(instant))).toBe(phase);
  });

  it('names the next switch, and none after the last', () => {
    expect(phaseStateAt(circular, null, at('2022-01-01T00:00:00Z'))).toEqual({
      phase: 'smartcard-only',
      source: 'schedule',
      next: { phase: 'email-registration', at: at('2022-12-18T16:00:00.000Z') },
    });
    expect(phaseStateAt(circular, null, at('2023-05-02T01:00:00.000Z')).next).toEqual({ phase: '2fa-only', at: at('2023-06-25T16:00:00.000Z') });
    expect(phaseStateAt(circular, null, at('2023-06-25T16:00:00.000Z')).next).toBeNull();
  });

  it('looks past an entry that repeats the phase in force', () => {
    const repeated: PhaseSchedule = { schedule: [...circular.schedule.slice(0, 2), { phase: 'parallel-run', from: '2023-06-01' }, circular.schedule[2]!] };
    expect(phaseStateAt(repeated, null, at('2023-05-10T00:00:00Z')).next?.phase).toBe('2fa-only');
  });

  it('lets the configuration override pin a phase whatever the date, with no next switch', () => {
    expect(phaseStateAt({ ...circular, override: 'parallel-run' }, null, at('2030-01-01T00:00:00Z'))).toEqual({ phase: 'parallel-run', source: 'configuration', next: null });
  });

  it("puts the operator's pin above the configuration override", () => {
    const state = phaseStateAt({ ...circular, override: '2fa-only' }, { phase: 'parallel-run', until: null }, at('2030-01-01T00:00:00Z'));
    expect(state).toEqual({ phase: 'parallel-run', source: 'operator', next: null });
  });

  it('ends a pin with --until at that instant exactly, and announces what follows', () => {
    const until = at('2023-07-31T10:00:00.000Z');
    const pin = { phase: 'parallel-run' as const, until };
    expect(phaseStateAt(circular, pin, at('2023-07-01T00:00:00Z'))).toEqual({ phase: 'parallel-run', source: 'operator', next: { phase: '2fa-only', at: until } });
    expect(phaseAt(circular, at('2023-07-31T09:59:59.999Z'), pin)).toBe('parallel-run');
    expect(phaseAt(circular, until, pin)).toBe('2fa-only');
  });

  it('reports the scheduled switch after a pin that pins the phase the schedule will be in anyway', () => {
    const pin = { phase: 'email-registration' as const, until: at('2023-01-31T00:00:00Z') };
    expect(phaseStateAt(circular, pin, at('2023-01-01T00:00:00Z')).next).toEqual({ phase: 'parallel-run', at: at('2023-05-02T01:00:00.000Z') });
  });

  it('runs as the parallel run when no schedule is configured', () => {
    expect(phaseStateAt({ schedule: [] }, null, new Date())).toEqual({ phase: 'parallel-run', source: 'default', next: null });
  });

  it('opens enrolment from email registration on', () => {
    expect(enrolmentOpen('smartcard-only')).toBe(false);
    expect(enrolmentOpen('email-registration')).toBe(true);
    expect(enrolmentOpen('parallel-run')).toBe(true);
    expect(enrolmentOpen('2fa-only')).toBe(true);
  });
});
