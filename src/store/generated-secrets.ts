/**
 * Secrets a development deployment generates for itself (signing keys, cookie keys).
 * The first node to start inserts them; every node, and every restart, reads the same
 * value, so keys are never silently regenerated (that would invalidate every session).
 */
import type { Database } from './database.js';

export async function getOrCreateGeneratedSecret<T>(db: Database, name: string, create: () => Promise<T>): Promise<T> {
  const existing = await db('generated_secrets').where({ name }).first<{ value: T } | undefined>();
  if (existing) return existing.value;
  const value = await create();
  // Two nodes starting at once may both generate; the insert that lands first wins for both.
  await db('generated_secrets').insert({ name, value: JSON.stringify(value) }).onConflict('name').ignore();
  const stored = await db('generated_secrets').where({ name }).first<{ value: T }>();
  return stored.value;
}

/** A secret generated earlier, if there is one (e.g. to import it into its own table). */
export async function findGeneratedSecret<T>(db: Database, name: string): Promise<T | undefined> {
  return (await db('generated_secrets').where({ name }).first<{ value: T } | undefined>())?.value;
}

export async function deleteGeneratedSecret(db: Database, name: string): Promise<void> {
  await db('generated_secrets').where({ name }).delete();
}
