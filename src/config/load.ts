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
  constructor(
    message: string,
    /** One line per problem, each naming its key (for callers that word the heading themselves). */
    readonly problems: readonly string[] = [message],
  ) {
    super(message);
  }
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
  { variable: 'DEADLINE_EMAIL_REGISTRATION', path: ['deadlines', 'emailRegistration'], parse: asString },
  { variable: 'DEADLINE_SECOND_FACTOR', path: ['deadlines', 'secondFactor'], parse: asString },
  { variable: 'REMINDER_OFFSETS_DAYS', path: ['reminders', 'offsetsDays'], parse: asList },
  { variable: 'REMINDER_OPERATOR_EMAILS', path: ['reminders', 'operatorEmails'], parse: asList },
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

  const result = configSchema.safeParse(raw, { error: (issue) => describeIssue(issue) });
  if (!result.success) {
    const problems = formatIssues(result.error.issues, source, origins);
    throw new ConfigError(`Invalid configuration:\n${problems.map((line) => `  - ${line}`).join('\n')}`, problems);
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

/** "server.port", "oidc.clients[0].redirect_uris[1]". */
function keyOf(path: readonly PropertyKey[]): string {
  return path.map((part) => (typeof part === 'number' ? `[${part}]` : `.${String(part)}`)).join('').replace(/^\./, '');
}

/** One line per problem: the key as the operator wrote it (the variable, or the key in the file), what is wrong, where it came from. */
function formatIssues(issues: readonly z.core.$ZodIssue[], source: string, origins: Map<string, string>): string[] {
  return issues.flatMap((issue) => {
    const keys = issue.code === 'unrecognized_keys' ? issue.keys.map((key) => [...issue.path, key]) : [issue.path];
    return keys.map((path) => {
      const key = keyOf(path) || '(top level)';
      const names = path.filter((part): part is string => typeof part === 'string');
      // The longest prefix of the path that an environment variable set ("COOKIE_KEYS" for oidc.cookieKeys[1]).
      for (let length = names.length; length > 0; length -= 1) {
        const dotted = names.slice(0, length).join('.');
        const variable = origins.get(dotted);
        if (variable) return `${variable}${key.slice(dotted.length)}: ${issue.message} (the environment variable for ${dotted})`;
      }
      return `${key}: ${issue.code === 'unrecognized_keys' ? 'unknown key' : issue.message} (in ${source})`;
    });
  });
}

/**
 * Keys whose values are never repeated in an error (they are secrets, or URLs that may carry
 * a password): the error says what kind of value was given instead.
 */
const SECRET_KEYS = /(^|\.)(cookieKeys|encryptionKeys|client_secret|token)(\[|\.|$)|^(database|smtp)\.url$/;

/** A value as the operator gave it: text in quotes, numbers and booleans as they are. */
function shown(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return kindOf(value);
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping of keys';
  if (typeof value === 'string') return 'text';
  return `a ${typeof value}`;
}

/** "a whole number" for a number schema with an integer check. */
function numberKind(issue: z.core.$ZodRawIssue): string {
  const checks = (issue.inst as { _zod?: { def?: { checks?: Array<{ _zod?: { def?: { check?: string; format?: string } } }> } } } | undefined)?._zod?.def?.checks ?? [];
  return checks.some((check) => check._zod?.def?.check === 'number_format' && /int/.test(check._zod.def.format ?? '')) ? 'a whole number' : 'a number';
}

const EXPECTED: Readonly<Record<string, string>> = { boolean: 'true or false', string: 'text', array: 'a list', object: 'a mapping of keys', int: 'a whole number' };

/**
 * Our wording of zod's issues (the schema's own messages take precedence): what was expected,
 * and what was given — the value itself, except for secrets.
 */
function describeIssue(issue: z.core.$ZodRawIssue): string | undefined {
  const path = keyOf(issue.path ?? []);
  const got = `got ${SECRET_KEYS.test(path) ? kindOf(issue.input) : shown(issue.input)}`;
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return 'is required';
      if (issue.expected === 'number') return `expected ${numberKind(issue)}, ${got}`;
      return `expected ${EXPECTED[issue.expected] ?? issue.expected}, ${got}`;
    case 'invalid_value':
      return `expected one of ${issue.values.map((value) => String(value)).join(', ')}, ${got}`;
    case 'too_big':
      if (issue.origin === 'number' || issue.origin === 'int') return `expected ${issue.inclusive ? 'at most' : 'less than'} ${String(issue.maximum)}, ${got}`;
      if (issue.origin === 'string') return `must be at most ${String(issue.maximum)} characters`;
      if (issue.origin === 'array') return `must list at most ${String(issue.maximum)} entries`;
      return undefined;
    case 'too_small':
      if (issue.origin === 'number' || issue.origin === 'int') return `expected ${issue.inclusive ? 'at least' : 'more than'} ${String(issue.minimum)}, ${got}`;
      if (issue.origin === 'string') return Number(issue.minimum) <= 1 ? 'must not be empty' : `must be at least ${String(issue.minimum)} characters`;
      if (issue.origin === 'array') return Number(issue.minimum) <= 1 ? 'must list at least one entry' : `must list at least ${String(issue.minimum)} entries`;
      return undefined;
    case 'unrecognized_keys':
      return `unknown key(s) ${issue.keys.join(', ')}`;
    default:
      return undefined;
  }
}
