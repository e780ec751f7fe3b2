/** Time is injected so that expiries and phase switches are tested by setting a clock, not by sleeping. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };
