/**
 * SECURITY.md maps requirements to tests. This keeps the mapping honest: every row of its
 * tables names at least one test that exists (a file, and a title it contains), or says why
 * the requirement does not apply (N/A) or that it is not met yet (Gap) — with a reason.
 */
import { existsSync, readFileSync } from 'node:fs';

const document = readFileSync('SECURITY.md', 'utf8');
const rows = document
  .split('\n')
  .filter((line) => line.startsWith('| ') && !line.startsWith('| Requirement') && !line.startsWith('|---'))
  .map((line) => line.split(' | '));

const REFERENCE = /`(test\/[^`]+\.test\.ts)` › "([^"]+)"/g;

describe('SECURITY.md', () => {
  it('has requirement rows', () => {
    expect(rows.length).toBeGreaterThan(60);
  });

  it.each(rows.map((cells) => [cells[0]?.replace(/^\| /, '') ?? '', cells[cells.length - 1] ?? '']))('%s: points at a test, or says why not', (_requirement, proof) => {
    const references = [...proof.matchAll(REFERENCE)];
    const reasoned = /(N\/A|\*\*Gap\*\*): \S.{5,}/.test(proof);
    expect(references.length > 0 || reasoned).toBe(true);
    for (const [, file, title] of references) {
      expect({ file, exists: existsSync(file as string) }).toEqual({ file, exists: true });
      const source = readFileSync(file as string, 'utf8');
      // Test titles are single-quoted string literals; the reference quotes the start or a part of one.
      const titles = [...source.matchAll(/\b(?:it|describe|test)(?:\.each\([\s\S]*?\))?\(\s*'((?:[^'\\]|\\.)*)'/g)].map((match) => (match[1] as string).replace(/\\'/g, "'"));
      expect({ file, title, found: titles.some((candidate) => candidate.includes(title as string)) }).toEqual({ file, title, found: true });
    }
  });
});
