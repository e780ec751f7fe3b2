/**
 * `ccass-auth --version`: the version in package.json. The CLI runs from src/cli (tests),
 * dist/src/cli (a checkout, the container) or an installed package, so the file is found by
 * walking up from this module rather than at a fixed relative path.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const PACKAGE_NAME = 'ccass-auth';

export function packageVersion(from: string = import.meta.url): string {
  let dir = path.dirname(fileURLToPath(from));
  for (;;) {
    const file = path.join(dir, 'package.json');
    if (existsSync(file)) {
      const manifest = JSON.parse(readFileSync(file, 'utf8')) as { name?: unknown; version?: unknown };
      if (manifest.name === PACKAGE_NAME && typeof manifest.version === 'string') return manifest.version;
    }
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`the package.json of ${PACKAGE_NAME} was not found above ${fileURLToPath(from)}`);
    dir = parent;
  }
}
