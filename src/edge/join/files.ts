import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { errorText } from '../../core/errors/index.js';
import { edgeJoinErrors } from './errors.js';

/** Where a joined node keeps its identity: `<data-dir>/pki/` (the folder 0700, key and certificate 0600). */
export function pkiPaths(dataDir: string) {
  const dir = join(dataDir, 'pki');
  return {
    dir,
    ca: join(dir, 'ca.crt'),
    cert: join(dir, 'node.crt'),
    key: join(dir, 'node.key'),
    /** Where the node joined: `{ node, cloud, join }`, so rotation knows where to renew. */
    joined: join(dir, 'joined.json'),
  };
}

export interface JoinedInfo {
  node: string;
  /** The link URL given to `kedge edge join` (wss://...). */
  cloud: string;
  /** The join port's URL (https://...:10002). */
  join: string;
}

export interface NodeCredentials {
  ca: string;
  cert: string;
  key: string;
  node: string;
  notBefore: number;
  notAfter: number;
  joined: JoinedInfo | undefined;
}

/** Where the node joined (`kedge edge join`), when it did. */
export function readJoined(dataDir: string): JoinedInfo | undefined {
  try {
    return JSON.parse(readFileSync(pkiPaths(dataDir).joined, 'utf8')) as JoinedInfo;
  } catch {
    return undefined;
  }
}

export function hasCredentials(dataDir: string): boolean {
  return existsSync(pkiPaths(dataDir).cert);
}

/** The node's certificate, key and CA from its data dir; the certificate must be for `node`. */
export function loadCredentials(dataDir: string, node: string): NodeCredentials {
  const p = pkiPaths(dataDir);
  let ca: string;
  let cert: string;
  let key: string;
  try {
    ca = readFileSync(p.ca, 'utf8');
    cert = readFileSync(p.cert, 'utf8');
    key = readFileSync(p.key, 'utf8');
  } catch (err) {
    throw edgeJoinErrors.create(
      'KEDGE_EDGE_NO_CERTIFICATE',
      `cannot read the node's certificate in ${p.dir}: ${errorText(err)}`,
    );
  }
  const x = new X509Certificate(cert);
  const cn = /(?:^|\n)CN=([^\n]*)/.exec(x.subject)?.[1];
  if (cn !== node)
    throw edgeJoinErrors.create(
      'KEDGE_EDGE_WRONG_CERTIFICATE',
      `the certificate in ${p.cert} is for node "${cn ?? x.subject}", not ${node}`,
    );
  const joined = readJoined(dataDir);
  return { ca, cert, key, node, notBefore: Date.parse(x.validFrom), notAfter: Date.parse(x.validTo), joined };
}

/**
 * Writes the node's identity: each file written whole to a temp name and renamed over the old one,
 * key before certificate, so a crash leaves either the old pair or the new key with the old
 * certificate (which the next start notices as a mismatch) and never a half-written file.
 */
export function writeCredentials(
  dataDir: string,
  files: { ca: string; cert: string; key: string; joined?: JoinedInfo },
): void {
  const p = pkiPaths(dataDir);
  mkdirSync(p.dir, { recursive: true, mode: 0o700 });
  chmodSync(p.dir, 0o700);
  const put = (file: string, text: string, mode: number) => {
    const tmp = `${file}.tmp`;
    writeFileSync(tmp, text, { mode });
    chmodSync(tmp, mode);
    renameSync(tmp, file);
  };
  put(p.ca, files.ca, 0o644);
  put(p.key, files.key, 0o600);
  put(p.cert, files.cert, 0o600);
  if (files.joined) put(p.joined, `${JSON.stringify(files.joined, null, 2)}\n`, 0o600);
}
