/**
 * The Chromium the browser tests drive, found in this order: CHROMIUM_PATH; the system's
 * (Debian's `chromium`, or one on PATH); the one Playwright installed; else Playwright's own
 * installer fetches one. Without any, the tests fail with one line that says what to run.
 */
import { execFileSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const SYSTEM_NAMES = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable'];
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(name: string): string | undefined {
  for (const dir of (process.env['PATH'] ?? '').split(path.delimiter)) {
    const file = path.join(dir, name);
    if (dir && executable(file)) return file;
  }
  return undefined;
}

let found: string | undefined;

export function chromiumExecutable(): string {
  if (found) return found;
  const given = process.env['CHROMIUM_PATH'];
  if (given) {
    if (!executable(given)) throw new Error(`CHROMIUM_PATH is ${given}, which is not an executable file.`);
    return (found = given);
  }
  for (const candidate of ['/usr/bin/chromium', ...SYSTEM_NAMES.map(onPath)]) {
    if (candidate && executable(candidate)) return (found = candidate);
  }
  const installed = chromium.executablePath();
  if (executable(installed)) return (found = installed);
  try {
    execFileSync(process.execPath, [path.join(ROOT, 'node_modules/playwright-core/cli.js'), 'install', 'chromium'], { stdio: 'ignore', timeout: 300_000 });
  } catch {
    // Falls through to the one-line answer below.
  }
  if (executable(installed)) return (found = installed);
  throw new Error('No Chromium for the browser tests: install one (Debian: apt-get install chromium), set CHROMIUM_PATH, or run `npx playwright-core install chromium`.');
}

/** Chromium as every browser test runs it: headless, nothing fetched in the background, no first-run dialogs. */
export function launchChromium(): ReturnType<typeof chromium.launch> {
  return chromium.launch({
    executablePath: chromiumExecutable(),
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}
