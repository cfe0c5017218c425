import { readFileSync } from 'node:fs';
import { Value, type ValueError } from '@sinclair/typebox/value';
import { parseYamlDocuments, formatDiagnostic, type YamlDocument } from '../yaml/index.js';
import { configErrors } from './errors.js';
import { KedgeConfigSchema, type KedgeConfig } from './schema.js';

/** A value set from the command line, with the flag that set it (for error messages). */
export interface FlagValue {
  path: string[];
  value: unknown;
  flag: string;
}

export interface LoadConfigOptions {
  file?: string;
  env?: NodeJS.ProcessEnv;
  flags?: FlagValue[];
}

type Origin = { kind: 'file'; doc: YamlDocument } | { kind: 'env'; name: string } | { kind: 'flag'; flag: string };

/**
 * Layers defaults < config file < environment (`KEDGE_<SECTION>__<FIELD>`, e.g.
 * `KEDGE_EDGE__MQTT__PORT=1885`) < flags, then checks the result once against the schema.
 * Each problem names where the bad value came from: `file:line:col`, the variable or the flag.
 */
export function loadConfig(options: LoadConfigOptions = {}): KedgeConfig {
  const merged: Record<string, unknown> = {};
  const origins = new Map<string, Origin>();
  const fileProblems: string[] = [];
  if (options.file) {
    const doc = readConfigFile(options.file, fileProblems);
    if (doc) {
      if (!isObject(doc.value))
        fileProblems.push(
          formatDiagnostic({
            file: options.file,
            ...doc.positionOf([]),
            severity: 'error',
            message: 'the config file must be a YAML mapping',
          }),
        );
      else mergeInto(merged, doc.value, [], origins, { kind: 'file', doc });
    }
  }
  if (fileProblems.length > 0)
    throw configErrors.create('KEDGE_CONFIG_INVALID', `invalid configuration:\n${fileProblems.join('\n')}`);
  for (const [name, raw] of Object.entries(options.env ?? {})) {
    const path = envPath(name);
    if (path && raw !== undefined) setAt(merged, path, parseScalar(raw), origins, { kind: 'env', name });
  }
  for (const f of options.flags ?? []) {
    if (f.value !== undefined) setAt(merged, f.path, f.value, origins, { kind: 'flag', flag: f.flag });
  }
  const withDefaults = Value.Default(KedgeConfigSchema, merged);
  const problems = [...Value.Errors(KedgeConfigSchema, withDefaults)].map((e) =>
    describe(e.path, inWords(e), origins, options.file),
  );
  if (problems.length > 0)
    throw configErrors.create('KEDGE_CONFIG_INVALID', `invalid configuration:\n${[...new Set(problems)].join('\n')}`);
  return withDefaults as KedgeConfig;
}

function readConfigFile(file: string, problems: string[]): YamlDocument | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw configErrors.create('KEDGE_CONFIG_UNREADABLE', `cannot read config file ${file}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  const parsed = parseYamlDocuments(text, file);
  problems.push(...parsed.diagnostics.map(formatDiagnostic));
  if (parsed.documents.length > 1)
    problems.push(`${file}:1:1: error: a config file holds one YAML document, found ${parsed.documents.length}`);
  return parsed.documents[0];
}

/**
 * A field whose schema says what it expects in words (`errorMessage`) reports that, with the
 * value given, rather than the schema's own terms ("Expected string to match '^[a-z0-9]...'").
 */
function inWords(e: ValueError): string {
  const words = (e.schema as { errorMessage?: unknown }).errorMessage;
  return typeof words === 'string' ? `${JSON.stringify(e.value)} is not ${words}` : e.message;
}

/** The environment variable that sets the field at `path` (`['cloud','apiPort']` -> KEDGE_CLOUD__API_PORT). */
export function envNameOf(path: string[]): string {
  return `KEDGE_${path.map((p) => p.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()).join('__')}`;
}

function describe(pointer: string, message: string, origins: Map<string, Origin>, file?: string): string {
  const path = pointer.split('/').filter(Boolean);
  const field = path.join('.') || '(top level)';
  const origin = findOrigin(path, origins);
  if (origin?.kind === 'env') return `environment ${origin.name}: ${field}: ${message}`;
  if (origin?.kind === 'flag') return `${origin.flag}: ${message}`;
  if (origin?.kind === 'file') {
    const at = message.startsWith('Unexpected property') ? origin.doc.keyPositionOf(path) : origin.doc.positionOf(path);
    return formatDiagnostic({
      file: file ?? origin.doc.file,
      ...at,
      severity: 'error',
      message: `${field}: ${message}`,
    });
  }
  return `${field}: ${message}`;
}

/** The origin of the value at `path` or, for a missing field, of its nearest parent. */
function findOrigin(path: string[], origins: Map<string, Origin>): Origin | undefined {
  for (let n = path.length; n >= 0; n--) {
    const o = origins.get(path.slice(0, n).join('.'));
    if (o) return o;
  }
  return undefined;
}

function mergeInto(
  target: Record<string, unknown>,
  source: Record<string, unknown>,
  path: string[],
  origins: Map<string, Origin>,
  origin: Origin,
): void {
  origins.set(path.join('.'), origin);
  for (const [key, value] of Object.entries(source)) {
    if (isObject(value)) {
      const child = isObject(target[key]) ? (target[key] as Record<string, unknown>) : {};
      target[key] = child;
      mergeInto(child, value, [...path, key], origins, origin);
    } else {
      target[key] = value;
      origins.set([...path, key].join('.'), origin);
    }
  }
}

function setAt(
  target: Record<string, unknown>,
  path: string[],
  value: unknown,
  origins: Map<string, Origin>,
  origin: Origin,
): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    if (!isObject(node[key])) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[path[path.length - 1]!] = value;
  origins.set(path.join('.'), origin);
}

/** `KEDGE_CLOUD__HUB_PORT` -> ['cloud', 'hubPort']; undefined for other variables. */
function envPath(name: string): string[] | undefined {
  if (!name.startsWith('KEDGE_') || !name.includes('__')) return undefined;
  return name
    .slice('KEDGE_'.length)
    .split('__')
    .map((part) => part.toLowerCase().replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase()));
}

function parseScalar(raw: string): unknown {
  if (/^-?\d+(\.\d+)?$/.test(raw)) return Number(raw);
  if (raw === 'true' || raw === 'false') return raw === 'true';
  if (raw.startsWith('[')) {
    try {
      return JSON.parse(raw) as unknown;
    } catch {
      return raw;
    }
  }
  return raw;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
