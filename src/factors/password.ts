/**
 * Passwords: argon2id hashing and verification, and the rules a new password must meet.
 *
 * NIST SP 800-63B §5.1.1.2: at least 12 characters here (configurable), long passphrases
 * allowed, Unicode normalised (NFKC) before hashing, no composition rules, and never the
 * user's own ID. (The common-password blocklist arrives with self-service enrolment.)
 */
import argon2 from 'argon2';

export interface Argon2Parameters {
  memoryCost: number;
  timeCost: number;
  parallelism: number;
}

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  /** True when `password` matches `hash`. A malformed hash counts as a mismatch. */
  verify(hash: string, password: string): Promise<boolean>;
  /**
   * Spends the same work as a real verification and returns false. Used when there is no
   * user or no hash, so that response time does not tell whether an account exists.
   */
  verifyAgainstDummy(password: string): Promise<false>;
  /** True when `hash` was made with other parameters than the configured ones. */
  needsRehash(hash: string): boolean;
}

export function createPasswordHasher(parameters: Argon2Parameters): PasswordHasher {
  const options = { type: argon2.argon2id, ...parameters } as const;
  let dummyHash: Promise<string> | undefined;

  const verify = async (hash: string, password: string): Promise<boolean> => {
    try {
      return await argon2.verify(hash, normalise(password));
    } catch {
      return false;
    }
  };

  return {
    hash: (password) => argon2.hash(normalise(password), options),
    verify,
    async verifyAgainstDummy(password) {
      dummyHash ??= argon2.hash('dummy password for timing equalisation', options);
      await verify(await dummyHash, password);
      return false;
    },
    needsRehash: (hash) => {
      try {
        return argon2.needsRehash(hash, parameters);
      } catch {
        return true;
      }
    },
  };
}

function normalise(password: string): string {
  return password.normalize('NFKC');
}

export interface PasswordRules {
  minLength: number;
  maxLength: number;
}

/** Problems with a proposed password, as messages for the user; empty when acceptable. */
export function passwordProblems(password: string, rules: PasswordRules, context: { userId?: string } = {}): string[] {
  const problems: string[] = [];
  // Length in characters (code points), not UTF-16 units: "密碼" is two characters.
  const length = [...normalise(password)].length;
  if (length < rules.minLength) problems.push(`must be at least ${rules.minLength} characters`);
  if (length > rules.maxLength) problems.push(`must be at most ${rules.maxLength} characters`);
  if (context.userId && normalise(password).toLowerCase() === context.userId.toLowerCase()) {
    problems.push('must not be your user ID');
  }
  return problems;
}
