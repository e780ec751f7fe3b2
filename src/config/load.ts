/**
 * Loads the configuration: a YAML file (CONFIG_FILE, else config/default.yaml), then
 * environment overrides, then one validation. Any problem throws a ConfigError whose message
 * names the key (and the variable or file it came from), so start-up fails readably.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { configSchema, type Config } from './schema.js';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export const DEFAULT_CONFIG_FILE = 'config/default.yaml';

type Env = Record<string, string | undefined>;

interface Override {
  variable: string;
  path: string[];
  parse: (raw: string) => unknown;
}

const asString = (raw: string): string => raw;
const asList = (raw: string): string[] => raw.split(',').map((item) => item.trim()).filter(Boolean);
const asBoolean = (raw: string): boolean | string => {
  if (/^(true|1|yes)$/i.test(raw)) return true;
  if (/^(false|0|no)$/i.test(raw)) return false;
  return raw; // left as a string so that validation reports it against the key
};

/** Environment variables and the keys they override. */
export const ENV_OVERRIDES: readonly Override[] = [
  { variable: 'NODE_ENV', path: ['env'], parse: asString },
  { variable: 'ISSUER', path: ['issuer'], parse: asString },
  { variable: 'HOST', path: ['server', 'host'], parse: asString },
  { variable: 'PORT', path: ['server', 'port'], parse: asString },
  { variable: 'TRUST_PROXY', path: ['server', 'trustProxy'], parse: asBoolean },
  { variable: 'DATABASE_URL', path: ['database', 'url'], parse: asString },
  { variable: 'LOG_LEVEL', path: ['log', 'level'], parse: asString },
  { variable: 'SMTP_URL', path: ['smtp', 'url'], parse: asString },
  { variable: 'JWKS_FILE', path: ['oidc', 'jwksFile'], parse: asString },
  { variable: 'COOKIE_KEYS', path: ['oidc', 'cookieKeys'], parse: asList },
  { variable: 'SECRETS_ENCRYPTION_KEYS', path: ['secrets', 'encryptionKeys'], parse: asList },
  { variable: 'PHASE_OVERRIDE', path: ['phases', 'override'], parse: asString },
  { variable: 'METRICS_PORT', path: ['metrics', 'port'], parse: asString },
  { variable: 'METRICS_TOKEN', path: ['metrics', 'token'], parse: asString },
];

export interface LoadOptions {
  env?: Env;
  /** Read this file instead of CONFIG_FILE / the default one. */
  file?: string;
  /** Use this object instead of reading a file (tests). */
  raw?: unknown;
}

export function loadConfig(options: LoadOptions = {}): Config {
  const env = options.env ?? process.env;
  let source: string;
  let raw: unknown;
  if (options.raw !== undefined) {
    source = 'supplied object';
    raw = structuredClone(options.raw);
  } else {
    const file = options.file ?? env['CONFIG_FILE'] ?? DEFAULT_CONFIG_FILE;
    source = file;
    raw = readConfigFile(file);
  }
  if (raw === null || raw === undefined) raw = {};
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ConfigError(`Invalid configuration in ${source}: the top level must be a mapping of keys`);
  }

  const origins = new Map<string, string>();
  for (const override of ENV_OVERRIDES) {
    const value = env[override.variable];
    if (value === undefined || value === '') continue;
    setPath(raw as Record<string, unknown>, override.path, override.parse(value));
    origins.set(override.path.join('.'), override.variable);
  }

  deriveLocalIssuerFromPort(raw as Record<string, unknown>, env);

  const result = configSchema.safeParse(raw);
  if (!result.success) {
    throw new ConfigError(formatIssues(result.error.issues, source, origins));
  }
  return result.data;
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * `PORT=3310 npm start` without ISSUER: on a loopback issuer (development) the issuer follows
 * the port, so discovery and the endpoints agree. Behind a proxy the issuer is the public URL
 * and PORT the node's own: a non-loopback issuer is left as it is.
 */
function deriveLocalIssuerFromPort(raw: Record<string, unknown>, env: Env): void {
  const port = env['PORT'];
  if (!port || env['ISSUER'] || !/^\d{1,5}$/.test(port)) return;
  const configured = typeof raw['issuer'] === 'string' ? raw['issuer'] : 'http://localhost:3000';
  let issuer: URL;
  try {
    issuer = new URL(configured);
  } catch {
    return; // the schema says what is wrong with it
  }
  if (!LOOPBACK_HOSTS.has(issuer.hostname)) return;
  issuer.port = port;
  raw['issuer'] = issuer.origin;
}

function readConfigFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(path.resolve(file), 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (error as Error).message;
    throw new ConfigError(`Cannot read configuration file ${file}: ${reason} (set CONFIG_FILE to choose another file)`);
  }
  try {
    return parseYaml(text);
  } catch (error) {
    throw new ConfigError(`Configuration file ${file} is not valid YAML: ${(error as Error).message}`);
  }
}

function setPath(target: Record<string, unknown>, keys: string[], value: unknown): void {
  let node = target;
  keys.slice(0, -1).forEach((key) => {
    const next = node[key];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) node[key] = {};
    node = node[key] as Record<string, unknown>;
  });
  node[keys[keys.length - 1] as string] = value;
}

function formatIssues(issues: z.core.$ZodIssue[], source: string, origins: Map<string, string>): string {
  const lines = issues.map((issue) => {
    const key = issue.path.map((part) => (typeof part === 'number' ? `[${part}]` : `.${String(part)}`)).join('').replace(/^\./, '') || '(top level)';
    const dotted = issue.path.filter((part) => typeof part !== 'number').join('.');
    const variable = origins.get(dotted);
    const from = variable ? `environment variable ${variable}` : source;
    const message = issue.code === 'unrecognized_keys' ? `unknown key(s) ${issue.keys.join(', ')}` : issue.message;
    return `  - ${key} (from ${from}): ${message}`;
  });
  return `Invalid configuration:\n${lines.join('\n')}`;
}
