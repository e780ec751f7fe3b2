/**
 * Process settings that must be in place before anything else runs: imported first by the
 * entry points. libuv's thread pool (argon2, file reads, DNS lookups) defaults to 4 threads;
 * with more cores, password hashing would be capped below one per core. Its size can only be
 * set before the pool's first use. An operator's own UV_THREADPOOL_SIZE wins.
 */
import { availableParallelism } from 'node:os';

process.env['UV_THREADPOOL_SIZE'] ??= String(Math.max(4, availableParallelism() + 1));
