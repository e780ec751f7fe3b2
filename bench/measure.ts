/** Closed-loop load: `concurrency` workers each run `task` back to back until the time is up. */
import { performance } from 'node:perf_hooks';

export interface LoadResult {
  concurrency: number;
  completed: number;
  failed: number;
  firstError?: string;
  seconds: number;
  perSecond: number;
  /** Milliseconds. */
  p50: number;
  p95: number;
  p99: number;
}

export function percentile(sorted: readonly number[], fraction: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)] as number;
}

export async function runLoad(options: { concurrency: number; seconds?: number; count?: number; task: (worker: number) => Promise<unknown> }): Promise<LoadResult> {
  const latencies: number[] = [];
  let failed = 0;
  let firstError: string | undefined;
  let started = 0;
  const begin = performance.now();
  const deadline = options.seconds === undefined ? Infinity : begin + options.seconds * 1000;
  const more = () => performance.now() < deadline && (options.count === undefined || started < options.count);
  await Promise.all(
    Array.from({ length: options.concurrency }, async (_, worker) => {
      while (more()) {
        started += 1;
        const t0 = performance.now();
        try {
          await options.task(worker);
          latencies.push(performance.now() - t0);
        } catch (error) {
          failed += 1;
          firstError ??= error instanceof Error ? error.message : String(error);
        }
      }
    }),
  );
  const seconds = (performance.now() - begin) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    concurrency: options.concurrency,
    completed: latencies.length,
    failed,
    ...(firstError ? { firstError } : {}),
    seconds,
    perSecond: latencies.length / seconds,
    p50: percentile(latencies, 0.5),
    p95: percentile(latencies, 0.95),
    p99: percentile(latencies, 0.99),
  };
}
