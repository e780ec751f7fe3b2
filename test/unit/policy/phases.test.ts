import { enrolmentOpen, parseHongKongTime, phaseAt, type PhaseSchedule } from '../../../src/policy/phases.js';

describe('migration phases', () => {
  const schedule: PhaseSchedule = {
    schedule: [
      { phase: 'email-registration', from: '2022-12-19' },
      { phase: 'parallel-run', from: '2023-05-02T09:00' },
      { phase: '2fa-only', from: '2023-06-26' },
    ],
  };

  it('reads schedule times as Hong Kong time (UTC+8)', () => {
    expect(parseHongKongTime('2022-12-19')?.toISOString()).toBe('2022-12-18T16:00:00.000Z');
    expect(parseHongKongTime('2023-05-02T09:00')?.toISOString()).toBe('2023-05-02T01:00:00.000Z');
  });

  it('refuses dates that do not exist or are not in the documented form', () => {
    for (const value of ['2023-02-30', '2023-13-01', '2023-06-26T24:00', '26/06/2023', '2023-06-26T08:00Z', '']) {
      expect(parseHongKongTime(value)).toBeUndefined();
    }
  });

  it('switches at the first instant of each phase, Hong Kong time', () => {
    expect(phaseAt(schedule, new Date('2022-12-18T15:59:59.999Z'))).toBe('smartcard-only');
    expect(phaseAt(schedule, new Date('2022-12-18T16:00:00.000Z'))).toBe('email-registration');
    expect(phaseAt(schedule, new Date('2023-05-02T00:59:59Z'))).toBe('email-registration');
    expect(phaseAt(schedule, new Date('2023-05-02T01:00:00Z'))).toBe('parallel-run');
    expect(phaseAt(schedule, new Date('2030-01-01T00:00:00Z'))).toBe('2fa-only');
  });

  it('lets the operator override pin a phase whatever the date', () => {
    expect(phaseAt({ ...schedule, override: 'parallel-run' }, new Date('2030-01-01T00:00:00Z'))).toBe('parallel-run');
  });

  it('runs as the parallel run when no schedule is configured', () => {
    expect(phaseAt({ schedule: [] }, new Date())).toBe('parallel-run');
  });

  it('opens enrolment from email registration on', () => {
    expect(enrolmentOpen('smartcard-only')).toBe(false);
    expect(enrolmentOpen('email-registration')).toBe(true);
    expect(enrolmentOpen('parallel-run')).toBe(true);
    expect(enrolmentOpen('2fa-only')).toBe(true);
  });
});
