/**
 * docs/configuration.md lists every configuration key and every environment variable: the
 * schema is walked, so a key added to the code without a line in the reference fails here.
 */
import { readFileSync } from 'node:fs';
import { configSchema } from '../../../src/config/schema.js';
import { ENV_OVERRIDES } from '../../../src/config/load.js';

interface ZodNode {
  _zod: { def: { type: string; shape?: Record<string, ZodNode>; innerType?: ZodNode; in?: ZodNode } };
}

/** Dotted paths of every leaf key (objects are walked; arrays, unions and scalars are leaves). */
function leafKeys(node: ZodNode, prefix = ''): string[] {
  const { def } = node._zod;
  if (def.type === 'object' && def.shape) {
    return Object.entries(def.shape).flatMap(([key, child]) => leafKeys(child, prefix ? `${prefix}.${key}` : key));
  }
  const inner = def.innerType ?? def.in;
  if (inner && ['default', 'optional', 'prefault', 'pipe', 'nullable', 'catch', 'readonly'].includes(def.type)) return leafKeys(inner, prefix);
  return [prefix];
}

/** Keys named in the first column of the reference tables (`a.b.c` / `.d` is shorthand for a.b.c and a.b.d). */
function documentedKeys(markdown: string): Set<string> {
  const keys = new Set<string>();
  for (const line of markdown.split('\n')) {
    const cell = /^\| ([^|]+) \|/.exec(line)?.[1];
    if (!cell) continue;
    const names = [...cell.matchAll(/`([^`]+)`/g)].map((match) => match[1] as string);
    const first = names[0];
    if (!first) continue;
    keys.add(first);
    for (const name of names.slice(1)) {
      if (name.startsWith('.')) keys.add(first.replace(/\.[^.]+$/, name));
      else keys.add(name);
    }
  }
  return keys;
}

describe('the configuration reference', () => {
  const markdown = readFileSync(new URL('../../../docs/configuration.md', import.meta.url), 'utf8');
  const documented = documentedKeys(markdown);

  it('documents every key of the schema', () => {
    const missing = leafKeys(configSchema as unknown as ZodNode).filter((key) => !documented.has(key));
    expect(missing).toEqual([]);
  });

  it('documents every environment variable', () => {
    const missing = ENV_OVERRIDES.map((override) => override.variable).filter((variable) => !markdown.includes(`| \`${variable}\` |`));
    expect(missing).toEqual([]);
  });
});
