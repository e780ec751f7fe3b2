/**
 * Text that can be stored and that somebody meant: no U+0000 (PostgreSQL text cannot hold it)
 * and no lone UTF-16 surrogate (its JSON cannot, and UTF-8 has no encoding for one). Every
 * value from outside — a query, a form, a JSON body, a CSV cell, an OIDC parameter — is held
 * to this before it reaches the database, so bad bytes are a 400 and never a 500.
 */
export type TextProblem = 'nul' | 'lone_surrogate' | 'invalid_utf8' | 'raw_byte';

/** What is wrong with a string that would reach storage, if anything. */
export function textProblem(text: string): TextProblem | undefined {
  if (text.includes('\u0000')) return 'nul';
  if (!text.isWellFormed()) return 'lone_surrogate';
  return undefined;
}

/** The first problem in any string (key or value) of a parsed query, form, JSON body or payload. */
export function problemIn(value: unknown, depth = 0): TextProblem | undefined {
  if (typeof value === 'string') return textProblem(value);
  if (depth > 32 || value === null || typeof value !== 'object') return undefined;
  for (const [key, item] of Object.entries(value)) {
    const problem = textProblem(key) ?? problemIn(item, depth + 1);
    if (problem) return problem;
  }
  return undefined;
}
