/**
 * What the property tests share: one request with a browser's cookies, exactly as sent (no
 * redirect followed), and the property "every generated request is refused with a 4xx and the
 * database is as it was".
 */
import fc from 'fast-check';
import type { Browser } from './browser.js';
import type { Database } from '../../src/store/database.js';
import { databaseFingerprint } from './snapshot.js';

/** A DA's session is marked seen by every request that carries it; that is not a change made by the input. */
export const SEEN_AT_IGNORED = { dms_sessions: ['last_seen_at'] };

export interface Answer {
  status: number;
  type: string;
  body: string;
}

/** Sends one request to `origin` with `browser`'s cookies; returns what came back. */
export async function sendAs(browser: Browser, origin: string, method: string, pathAndQuery: string, body?: string | Buffer, contentType = 'application/x-www-form-urlencoded', extra: Record<string, string> = {}): Promise<Answer> {
  const url = `${origin}${pathAndQuery}`;
  const cookie = await browser.jar.getCookieString(url);
  const response = await fetch(url, {
    method,
    headers: { accept: 'text/html', ...(cookie ? { cookie } : {}), ...(body === undefined ? {} : { 'content-type': contentType }), ...extra },
    ...(body === undefined ? {} : { body }),
    redirect: 'manual',
  });
  return { status: response.status, type: response.headers.get('content-type') ?? '', body: await response.text() };
}

/** Runs `request` for generated input: each answer must pass `accept` (a 4xx by default), and the database must not change over the run. */
export async function refusedAndUnchanged<T>(
  db: Database,
  arbitrary: fc.Arbitrary<T>,
  request: (input: T) => Promise<{ status: number }>,
  options: { accept?: (status: number) => boolean; runs?: number; ignore?: Record<string, string[]> } = {},
): Promise<void> {
  const accept = options.accept ?? ((status: number) => status >= 400 && status < 500);
  const ignore = options.ignore ?? SEEN_AT_IGNORED;
  const before = await databaseFingerprint(db, ignore);
  await fc.assert(
    fc.asyncProperty(arbitrary, async (input) => {
      const { status } = await request(input);
      if (!accept(status)) throw new Error(`answered ${status}`);
    }),
    { numRuns: options.runs ?? 30 },
  );
  expect(await databaseFingerprint(db, ignore)).toEqual(before);
}
