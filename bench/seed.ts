/**
 * Benchmark users: one participant, N active users with a password and an enrolled TOTP
 * secret, written set-wise. Every user has the same password, hashed once with the
 * configured argon2 parameters: verifying it costs exactly what any user's would.
 */
import { randomBytes } from 'node:crypto';
import { createPasswordHasher } from '../src/factors/password.js';
import { createSecretBox, parseEncryptionKeys } from '../src/secrets/secret-box.js';
import type { Config } from '../src/config/schema.js';
import type { Database } from '../src/store/database.js';
import type { Credentials } from './http-client.js';

export const BENCH_PASSWORD = 'a benchmark password of fair length';

export async function seedUsers(db: Database, config: Config, count: number): Promise<Credentials[]> {
  const hash = await createPasswordHasher(config.password.argon2).hash(BENCH_PASSWORD);
  const box = createSecretBox(parseEncryptionKeys(config.secrets.encryptionKeys));
  await db('participants').insert({ id: 'BENCH', name: 'Benchmark Securities' }).onConflict('id').ignore();
  const users = Array.from({ length: count }, (_, index) => ({
    participant_id: 'BENCH',
    user_id: `U${String(index + 1).padStart(6, '0')}`,
    display_name: `Benchmark user ${index + 1}`,
    email: `u${index + 1}@bench.example.com`,
    status: 'active',
    password_hash: hash,
    second_factor: 'totp',
  }));
  const credentials: Credentials[] = [];
  for (let start = 0; start < users.length; start += 1000) {
    const rows = (await db('users').insert(users.slice(start, start + 1000)).returning(['id', 'user_id'])) as Array<{ id: string; user_id: string }>;
    const secrets = rows.map((row) => ({ row, secret: randomBytes(20) }));
    await db('totp_credentials').insert(
      secrets.map(({ row, secret }) => ({
        user_id: row.id,
        // As the server seals them (factors/totp-service.ts): bound to the user.
        secret_ciphertext: box.seal(secret, `totp:${row.id}`),
        algorithm: config.totp.algorithm,
        digits: config.totp.digits,
        period: config.totp.period,
      })),
    );
    for (const { row, secret } of secrets) credentials.push({ participantId: 'BENCH', userId: row.user_id, password: BENCH_PASSWORD, totpSecret: secret });
  }
  return credentials;
}
