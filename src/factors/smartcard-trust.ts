/**
 * The smartcard trust material from the files named in configuration: the CA bundle and
 * the CRLs. Files are read again when they change (checked by size and mtime on use), so
 * an operator who drops in a new CRL does not restart anything. A file that cannot be used
 * keeps the last good version and is reported, so one bad copy does not open or close every
 * door at once; with nothing good yet, smartcard login fails closed.
 */
import { readFile, stat } from 'node:fs/promises';
import type { Logger } from '../observability/logger.js';
import { parseRevocationList, parseTrustBundle, type RevocationList, type SmartcardTrust } from './smartcard.js';

export interface SmartcardTrustSettings {
  caFile: string;
  crlFiles: readonly string[];
  requireCrl: boolean;
}

export interface SmartcardTrustStore {
  /** The trust material now; throws when the CA bundle has never loaded. */
  current(): Promise<SmartcardTrust>;
  /** What is wrong with the files now, for readiness reports and logs. */
  problems(): readonly string[];
}

interface Loaded<T> {
  version: string;
  value: T;
}

export function createSmartcardTrustStore(settings: SmartcardTrustSettings, log: Logger): SmartcardTrustStore {
  let bundle: Loaded<ReturnType<typeof parseTrustBundle>> | undefined;
  const crls = new Map<string, Loaded<RevocationList>>();
  const problems = new Map<string, string>();

  async function version(file: string): Promise<string> {
    const info = await stat(file);
    return `${info.size}:${info.mtimeMs}`;
  }

  function report(file: string, problem: string | undefined) {
    if (problem === problems.get(file)) return;
    if (problem) {
      problems.set(file, problem);
      log.error({ file, problem }, 'smartcard trust file cannot be used');
    } else {
      problems.delete(file);
    }
  }

  /** Reloads `file` when it changed since `loadedVersion`; a failure keeps what was loaded before. */
  async function refresh(file: string, loadedVersion: string | undefined, load: (bytes: Buffer, version: string) => void | Promise<void>) {
    try {
      const now = await version(file);
      if (now !== loadedVersion) await load(await readFile(file), now);
      report(file, undefined);
    } catch (error) {
      report(file, `${file}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  return {
    async current() {
      await refresh(settings.caFile, bundle?.version, (bytes, loaded) => {
        bundle = { version: loaded, value: parseTrustBundle(bytes.toString('utf8')) };
        crls.clear(); // each CRL is checked against the CAs again
      });
      if (!bundle) throw new Error(`smartcard CA bundle unusable: ${problems.get(settings.caFile) ?? settings.caFile}`);
      const { roots, intermediates } = bundle.value;
      for (const file of settings.crlFiles) {
        await refresh(file, crls.get(file)?.version, async (bytes, loaded) => {
          crls.set(file, { version: loaded, value: await parseRevocationList(bytes, [...roots, ...intermediates]) });
        });
      }
      return { roots, intermediates, crls: [...crls.values()].map((entry) => entry.value), requireCrl: settings.requireCrl };
    },
    problems: () => [...problems.values()],
  };
}
