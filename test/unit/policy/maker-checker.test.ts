/**
 * Who needs a checker (src/policy/maker-checker.ts), and the configuration that says which
 * actions are governed: validated, with the key at fault named.
 */
import { ConfigError, loadConfig } from '../../../src/config/load.js';
import { CHANGE_REQUEST_ACTIONS, makerCheckerVerdict } from '../../../src/policy/maker-checker.js';

describe('maker-checker policy', () => {
  const all = { actions: CHANGE_REQUEST_ACTIONS, requestTtlHours: 72 };

  it('needs a checker in a firm with two or more active DAs, exempt or not', () => {
    expect(makerCheckerVerdict(all, 'lock', { activeDas: 2, soleDaExempt: false })).toBe('checker');
    expect(makerCheckerVerdict(all, 'csv_upload', { activeDas: 5, soleDaExempt: true })).toBe('checker');
  });

  it('refuses a sole DA without the exemption (nobody could approve), and lets one with it act directly', () => {
    expect(makerCheckerVerdict(all, 'email', { activeDas: 1, soleDaExempt: false })).toBe('refused');
    expect(makerCheckerVerdict(all, 'email', { activeDas: 1, soleDaExempt: true })).toBe('direct');
  });

  it('leaves an action that is not governed to one DA, whatever the firm', () => {
    const some = { actions: ['csv_upload'] as const, requestTtlHours: 72 };
    expect(makerCheckerVerdict(some, 'unlock', { activeDas: 3, soleDaExempt: false })).toBe('direct');
    expect(makerCheckerVerdict(some, 'unlock', { activeDas: 1, soleDaExempt: false })).toBe('direct');
  });
});

describe('makerChecker configuration', () => {
  const load = (makerChecker: unknown) => loadConfig({ raw: { makerChecker }, env: {} });
  const problem = (makerChecker: unknown): string => {
    try {
      load(makerChecker);
    } catch (error) {
      if (error instanceof ConfigError) return error.message;
      throw error;
    }
    throw new Error('accepted');
  };

  it('governs every action by default, requests living 72 hours', () => {
    expect(loadConfig({ raw: {}, env: {} }).makerChecker).toEqual({ actions: ['email', 'csv_upload', 'second_factor_reset', 'lock', 'unlock', 'exception_grant'], requestTtlHours: 72 });
    expect(load({ actions: [] }).makerChecker.actions).toEqual([]);
  });

  it('refuses an unknown or repeated action and a TTL out of range, naming the key', () => {
    expect(problem({ actions: ['disable'] })).toMatch(/makerChecker\.actions\[0\]: must be one of email, csv_upload, second_factor_reset, lock, unlock, exception_grant/);
    expect(problem({ actions: ['lock', 'lock'] })).toMatch(/makerChecker\.actions: must not repeat an action/);
    expect(problem({ requestTtlHours: 0 })).toMatch(/makerChecker\.requestTtlHours: expected at least 1, got 0/);
    expect(problem({ approvers: 2 })).toMatch(/makerChecker\.approvers: unknown key/);
  });
});
