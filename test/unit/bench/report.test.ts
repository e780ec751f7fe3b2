import { boundRatios, checkTargets, outsideRatio, type BenchReport } from '../../../bench/report.js';

const level = (perSecond: number, boundBefore: number, boundAfter: number) => ({
  concurrency: 4,
  perSecond,
  completed: 100,
  failed: 0,
  p50: 10,
  p95: 20,
  p99: 30,
  eventLoopP99Ms: 1,
  cpuMsPerLogin: { server: 30, serverThreadPool: 20, postgres: 5, loadGenerator: 2 },
  boundBefore,
  boundAfter,
});

const report = (levels: ReturnType<typeof level>[]) =>
  ({ machine: { cores: 2 }, logins: levels, singleLoginMs: 10, hashingBound: { verifiesPerSecond: 100, serialVerifyMs: 20, threadpool: 2 } }) as unknown as BenchReport;

describe('the benchmark report', () => {
  it('sets a level against the hashing bound measured before it and the one after, with their spread', () => {
    expect(boundRatios(level(45, 50, 100))).toEqual({ before: 0.9, after: 0.45, spread: 50 / 75 });
  });

  it('meets the logins target only against both bounds (a bound that moved does not decide it)', () => {
    const target = (levels: ReturnType<typeof level>[]) => checkTargets(report(levels)).find((check) => check.target.startsWith('full logins/s'));
    expect(target([level(90, 100, 100)])?.met).toBe(true);
    expect(target([level(90, 100, 120)])?.met).toBe(false);
    expect(target([level(90, 100, 120)])?.measured).toContain('the bounds differ by 18.2%');
  });

  it('sets what a login costs outside argon2 against argon2\'s own CPU of the same level', () => {
    // Server 30 ms of which 20 in argon2's thread pool, PostgreSQL 5: (10 + 5) / 20.
    expect(outsideRatio(level(45, 50, 50).cpuMsPerLogin)).toBe(0.75);
  });
});
