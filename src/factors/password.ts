/**
 * Passwords: argon2id hashing and verification, and the rules a new password must meet.
 *
 * NIST SP 800-63B §5.1.1.2: at least 12 characters here (configurable), long passphrases
 * allowed, Unicode normalised (NFKC) before hashing, and no composition rules (no demands for
 * digits or symbols). A new password is compared with "values known to be commonly-used,
 * expected, or compromised" and refused when it is one of them:
 *   - a password on the shipped list of common and breached passwords (password-blocklist.ts);
 *   - repetitive or sequential characters ("aaaaaaaaaaaa", "abcabcabcabc", "123456789012");
 *   - context-specific words: the user's own ID, their participant ID, the service's names.
 */
import { availableParallelism } from 'node:os';
import argon2 from 'argon2';
import { ValidationError } from '../kernel/errors.js';
import { passwordRefusal } from '../i18n/translate.js';
import { comparisonForm, isCommonPassword } from './password-blocklist.js';

export interface Argon2Parameters {
  memoryCost: number;
  timeCost: number;
  parallelism: number;
  /**
   * How many hashes or verifications run at once (the rest wait their turn). Default: one
   * per core.
   */
  concurrency?: number | undefined;
}

/**
 * The default number of argon2 computations at once: one per core. Keeping a core back for
 * the event loop was tried; on 2 cores it capped logins at one verification at a time and
 * left CPU idle (41–42% of the hashing bound at concurrency 4 against 44–47% with one per
 * core, event-loop delay p99 under 8 ms either way: BENCHMARKS.md). The operating system
 * shares the cores between the pool's threads and the event loop well enough.
 */
export function defaultHashingConcurrency(cores = availableParallelism()): number {
  return Math.max(1, cores);
}

/**
 * Runs at most `limit` tasks at once, the others in arrival order. argon2 runs on libuv's
 * thread pool; left alone, as many verifications as there are pool threads compete with the
 * event loop for the cores, and every request in flight slows down. Queued here instead,
 * verifications finish in order and the event loop keeps its core.
 */
export function createLimiter(limit: number): <T>(task: () => Promise<T>) => Promise<T> {
  let running = 0;
  const waiting: Array<() => void> = [];
  const release = () => {
    running -= 1;
    waiting.shift()?.();
  };
  return async (task) => {
    if (running >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
    running += 1;
    try {
      return await task();
    } finally {
      release();
    }
  };
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

export function createPasswordHasher({ concurrency, ...parameters }: Argon2Parameters): PasswordHasher {
  const options = { type: argon2.argon2id, ...parameters } as const;
  const limit = createLimiter(concurrency ?? defaultHashingConcurrency());
  let dummyHash: Promise<string> | undefined;

  const verify = async (hash: string, password: string): Promise<boolean> => {
    try {
      return await limit(() => argon2.verify(hash, normalise(password)));
    } catch {
      return false;
    }
  };

  return {
    hash: (password) => limit(() => argon2.hash(normalise(password), options)),
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

/** Who the password is for: their own identifiers must not make up the password. */
export interface PasswordContext {
  userId?: string;
  participantId?: string;
}

/** Why a proposed password is refused, as data (pages word it in the user's language). */
export type PasswordProblem =
  | { code: 'tooShort'; limit: number }
  | { code: 'tooLong'; limit: number }
  | { code: 'userId' | 'contextWords' | 'common' | 'trivial' };

/** A refused password: each problem as data, and as the sentences a person reads. */
export class PasswordRejectedError extends ValidationError {
  constructor(readonly problems: readonly PasswordProblem[]) {
    super(passwordRefusal(problems), { password: problems.map((problem) => problem.code).join(' ') });
  }
}

/** Problems with a proposed password; empty when acceptable. */
export function passwordProblemList(password: string, rules: PasswordRules, context: PasswordContext = {}): PasswordProblem[] {
  const problems = lengthProblems(password, rules);
  // One reason why it is guessable is enough for the user; the first that applies wins.
  const guessable = guessabilityProblem(password, context);
  if (guessable) problems.push({ code: guessable });
  return problems;
}

/** Throws a PasswordRejectedError when the password is not acceptable. */
export function assertAcceptablePassword(password: string, rules: PasswordRules, context: PasswordContext): void {
  const problems = passwordProblemList(password, rules, context);
  if (problems.length) throw new PasswordRejectedError(problems);
}

function lengthProblems(password: string, rules: PasswordRules): PasswordProblem[] {
  const problems: PasswordProblem[] = [];
  // Length in characters (code points), not UTF-16 units: "密碼" is two characters.
  const length = [...normalise(password)].length;
  if (length < rules.minLength) problems.push({ code: 'tooShort', limit: rules.minLength });
  if (length > rules.maxLength) problems.push({ code: 'tooLong', limit: rules.maxLength });
  return problems;
}

function guessabilityProblem(password: string, context: PasswordContext): 'userId' | 'contextWords' | 'common' | 'trivial' | undefined {
  const form = comparisonForm(password);
  if (context.userId && form === comparisonForm(context.userId)) return 'userId';
  if (isMostlyContextWords(form, contextWords(context))) return 'contextWords';
  if (isCommonPassword(form)) return 'common';
  if (isTrivialPattern(form)) return 'trivial';
  return undefined;
}

// --- Context-specific words -------------------------------------------------------------

const SERVICE_NAMES = ['ccass', 'hkscc', 'hkex'];
/** Shorter IDs ("B1", "AL") are left out: removing them would cut up unrelated passwords. */
const MIN_CONTEXT_WORD_LENGTH = 4;
/** What must be left once the context words are taken out. */
const MIN_REMAINDER_LENGTH = 8;

/** The words to look for, in comparison form, longest first so that overlaps go whole. */
function contextWords(context: PasswordContext): string[] {
  return [context.userId, context.participantId, ...SERVICE_NAMES]
    .filter((word): word is string => Boolean(word))
    .map(comparisonForm)
    .filter((word) => [...word].length >= MIN_CONTEXT_WORD_LENGTH)
    .sort((a, b) => b.length - a.length);
}

/**
 * True when the context words make up the bulk of the password: fewer than 8 characters are
 * left without them, or what is left (separators aside) is itself common or trivial, as in
 * "B01234-password". `form` is already in comparison form.
 */
function isMostlyContextWords(form: string, words: string[]): boolean {
  const rest = words.reduce((text, word) => text.replaceAll(word, ''), form);
  if (rest === form) return false;
  if ([...rest].length < MIN_REMAINDER_LENGTH) return true;
  const core = rest.replace(/^[\p{P}\p{S}\s]+|[\p{P}\p{S}\s]+$/gu, '');
  return isCommonPassword(core) || isTrivialPattern(core);
}

// --- Repetitive and sequential characters -----------------------------------------------

/** "abcabcabcabc" is a repeated pattern; "passwordpassword" is left to the blocklist. */
const MAX_PATTERN_LENGTH = 4;
/** Read cyclically, so that "1234567890" and "…opasdf…" (the next keyboard row) count. */
const SEQUENCES = ['0123456789', 'abcdefghijklmnopqrstuvwxyz', 'qwertyuiopasdfghjklzxcvbnm'];

function isTrivialPattern(text: string): boolean {
  const characters = [...text];
  return isRepeatedPattern(characters) || isSequence(characters);
}

/** The whole text is one short unit over and over ("aaaa…", "abcabc…", "1212…"). */
function isRepeatedPattern(characters: string[]): boolean {
  for (let unit = 1; unit <= MAX_PATTERN_LENGTH && unit * 2 <= characters.length; unit++) {
    if (characters.every((character, i) => i < unit || character === characters[i - unit])) return true;
  }
  return false;
}

/** The whole text runs up or down one of the sequences ("123456789012", "lkjhgfdsa…"). */
function isSequence(characters: string[]): boolean {
  if (characters.length < 3) return false;
  return SEQUENCES.some((sequence) => follows(characters, sequence, 1) || follows(characters, sequence, -1));
}

function follows(characters: string[], sequence: string, step: 1 | -1): boolean {
  const positions = characters.map((character) => sequence.indexOf(character));
  if (positions.includes(-1)) return false;
  const size = sequence.length;
  return positions.slice(1).every((position, i) => position === ((positions[i] ?? 0) + step + size) % size);
}
