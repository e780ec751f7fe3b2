/**
 * The hashing bound: argon2id verifications per second with the configured parameters,
 * using every core (a thread pool of one thread per core, two verifications queued per
 * thread). A password login costs one verification, so this is the most password logins per
 * second this machine can do. Run as a child process so that its thread pool is sized here.
 * Prints one JSON line.
 */
import { availableParallelism } from 'node:os';
import argon2 from 'argon2';

const [memoryCost, timeCost, parallelism, seconds] = process.argv.slice(2).map(Number) as [number, number, number, number];
const cores = availableParallelism();
const options = { type: argon2.argon2id, memoryCost, timeCost, parallelism } as const;
const hash = await argon2.hash('a benchmark password of fair length', options);
// Warm up every thread once.
await Promise.all(Array.from({ length: cores }, () => argon2.verify(hash, 'a benchmark password of fair length')));

let serialMs = 0;
for (let i = 0; i < 5; i += 1) {
  const t0 = performance.now();
  await argon2.verify(hash, 'a benchmark password of fair length');
  serialMs += (performance.now() - t0) / 5;
}

let done = 0;
const begin = performance.now();
const deadline = begin + seconds * 1000;
await Promise.all(
  Array.from({ length: cores * 2 }, async () => {
    while (performance.now() < deadline) {
      await argon2.verify(hash, 'a benchmark password of fair length');
      done += 1;
    }
  }),
);
const elapsed = (performance.now() - begin) / 1000;
process.stdout.write(`${JSON.stringify({ cores, threadpool: Number(process.env['UV_THREADPOOL_SIZE']), verifiesPerSecond: done / elapsed, serialVerifyMs: serialMs })}\n`);
