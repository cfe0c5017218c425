import { readFileSync } from 'node:fs';
import { cloudDefaults, edgeDefaults } from '../core/config/index.js';
import { readTokenFile } from '../core/token/index.js';
import { clientErrors } from './errors.js';

/** The cloud API at its configured default port (the config schema holds the number). */
export const DEFAULT_SERVER = `http://127.0.0.1:${cloudDefaults().apiPort}`;
/** The edge's local API at its default port (KubeEdge's MetaServer port). */
export const EDGE_SERVER = `http://127.0.0.1:${edgeDefaults().apiPort}`;

export interface ServerTarget {
  url: string;
  /** What answers there, for error messages. */
  kind: 'cloud' | 'edge';
  /** Sent as `Authorization: Bearer` (the --api-token-file of kedge cloud or kedge edge). */
  token?: string;
  /** The CA an https:// API's certificate must chain to (KEDGE_API_CA_FILE), instead of the system's. */
  ca?: string;
}

export interface TargetOptions {
  server?: string;
  edge?: boolean;
  /** The API's token file; default `KEDGE_API_TOKEN_FILE`. */
  tokenFile?: string;
}

/** `--edge` means the local edge API; `--server` wins when both are given explicitly. */
export function resolveTarget(
  opts: TargetOptions,
  env: NodeJS.ProcessEnv = process.env,
  warn: (message: string) => void = (w) => process.stderr.write(`warning: ${w}\n`),
): ServerTarget {
  const base: ServerTarget =
    opts.server !== undefined
      ? { url: checkUrl(opts.server), kind: opts.edge ? 'edge' : 'cloud' }
      : opts.edge
        ? { url: EDGE_SERVER, kind: 'edge' }
        : { url: DEFAULT_SERVER, kind: 'cloud' };
  const tokenFile = opts.tokenFile ?? env['KEDGE_API_TOKEN_FILE'];
  const withToken = tokenFile ? { ...base, token: readTokenFile(tokenFile, warn) } : base;
  const caFile = env['KEDGE_API_CA_FILE'];
  return caFile ? { ...withToken, ca: readCaFile(caFile) } : withToken;
}

function readCaFile(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw clientErrors.create(
      'KEDGE_CLIENT_BAD_SERVER',
      `KEDGE_API_CA_FILE ${file} cannot be read: ${(err as Error).message}`,
    );
  }
}

function checkUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw clientErrors.create('KEDGE_CLIENT_BAD_SERVER', `--server "${raw}" is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw clientErrors.create('KEDGE_CLIENT_BAD_SERVER', `--server "${raw}" must start with http:// or https://`);
  }
  return url.toString().replace(/\/+$/, '');
}

/** `<ns>/<name>` or `<name>` (namespace `default`). */
export function parseObjectName(raw: string): { namespace: string; name: string } {
  const parts = raw.split('/');
  if (parts.length === 1 && parts[0]) return { namespace: 'default', name: parts[0] };
  if (parts.length === 2 && parts[0] && parts[1]) return { namespace: parts[0], name: parts[1] };
  throw clientErrors.create('KEDGE_CLIENT_BAD_NAME', `"${raw}" is not <namespace>/<name>`);
}
