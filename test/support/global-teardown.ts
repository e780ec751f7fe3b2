/**
 * After `npm test`: the embedded PostgreSQL the global set-up may have started is stopped and
 * its folder removed. (Self-contained, like the set-up: it reads what the set-up left on globalThis.)
 */
import { rm } from 'node:fs/promises';

export default async function globalTeardown(): Promise<void> {
  const embedded = (globalThis as { __ccassEmbeddedPostgres?: { cluster: { stop(): Promise<void> }; dir: string } }).__ccassEmbeddedPostgres;
  if (!embedded) return;
  await embedded.cluster.stop();
  await rm(embedded.dir, { recursive: true, force: true });
}
