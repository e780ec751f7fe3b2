import type { Clock } from '../../src/kernel/clock.js';

/** A clock tests move by hand: real time plus an offset, so that oidc-provider's own timestamps stay sane. */
export class TestClock implements Clock {
  private offsetMs = 0;
  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }
  advance(seconds: number): void {
    this.offsetMs += seconds * 1000;
  }
}
