import { DEFAULT_PORTS } from '../../core/config/index.js';
import { JOIN_PATHS, JoinResponseSchema, parseJoinToken, type JoinResponse } from '../../contracts/index.js';
import { errorText } from '../../core/errors/index.js';
import { httpRequest, type HttpResponse } from '../../core/http-client/index.js';
import { certificateHash, generateKeys, KEY_ALGORITHM, privateKeyPem, x509 } from '../../core/pki/index.js';
import { jsonChecker } from '../../core/schema/index.js';
import { edgeJoinErrors } from './errors.js';
import { hasCredentials, writeCredentials, type JoinedInfo } from './files.js';

export interface JoinOptions {
  /** The link URL (`wss://cloud:10000`) or the join port's (`https://cloud:10002`). */
  cloud: string;
  token: string;
  node: string;
  dataDir: string;
  /** The cloud's join port when `cloud` is the link URL (default 10002). */
  joinPort?: number;
  timeoutMs?: number;
}

const checkAnswer = jsonChecker(JoinResponseSchema);

/**
 * `kedge edge join` (docs/link.md, "Joining"): fetches the CA from the cloud's join port, pins it by
 * the token's hash, sends a CSR for CN=<node> with the token, and stores the signed certificate,
 * its key and the CA in `<data-dir>/pki` (mode 0600).
 */
export async function joinCloud(o: JoinOptions): Promise<{ notAfter: string; joined: JoinedInfo }> {
  const token = parseJoinToken(o.token);
  if (!token) throw edgeJoinErrors.create('KEDGE_JOIN_BAD_TOKEN', 'the join token is not <CA hash>.<id>.<secret>');
  if (hasCredentials(o.dataDir))
    throw edgeJoinErrors.create('KEDGE_JOIN_ALREADY', `${o.dataDir} already holds a node certificate`);
  const joined: JoinedInfo = { node: o.node, cloud: linkUrlOf(o.cloud), join: joinUrlOf(o.cloud, o.joinPort) };
  const timeoutMs = o.timeoutMs ?? 15_000;
  // Trust nothing yet: what comes back is only believed if its hash is the token's.
  const caAnswer = await call(joined.join, JOIN_PATHS.ca, { timeoutMs, tls: { rejectUnauthorized: false } });
  if (caAnswer.status !== 200)
    throw edgeJoinErrors.create('KEDGE_JOIN_UNREACHABLE', `${joined.join}${JOIN_PATHS.ca} answered ${caAnswer.status}`);
  const ca = caAnswer.text.trim();
  let presented: string;
  try {
    presented = certificateHash(ca);
  } catch (err) {
    throw edgeJoinErrors.create(
      'KEDGE_JOIN_WRONG_CA',
      `${joined.join} sent no certificate as its CA: ${errorText(err)}`,
    );
  }
  if (presented !== token.caHash)
    throw edgeJoinErrors.create(
      'KEDGE_JOIN_WRONG_CA',
      `the cloud at ${joined.join} presented CA sha256:${presented}; the token pins sha256:${token.caHash}`,
    );
  const answer = await requestCertificate(joined.join, JOIN_PATHS.join, o.node, {
    timeoutMs,
    ca,
    headers: { authorization: `Bearer ${o.token.trim()}` },
  });
  writeCredentials(o.dataDir, { ca, cert: answer.certificate, key: answer.keyPem, joined });
  return { notAfter: answer.notAfter, joined };
}

/**
 * Asks the join port for a certificate for a new key (join with a token, or renewal over mutual
 * TLS with `tls.cert/key`); the server must chain to `ca` (pinned).
 */
export async function requestCertificate(
  base: string,
  path: string,
  node: string,
  o: { timeoutMs: number; ca: string; headers?: Record<string, string>; cert?: string; key?: string },
): Promise<JoinResponse & { keyPem: string }> {
  const keys = await generateKeys();
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: new x509.Name([{ CN: [node] }]),
    keys,
    signingAlgorithm: KEY_ALGORITHM,
  });
  const res = await call(base, path, {
    method: 'POST',
    timeoutMs: o.timeoutMs,
    headers: { 'content-type': 'application/json', ...(o.headers ?? {}) },
    body: JSON.stringify({ node, csr: csr.toString('pem') }),
    tls: { ca: o.ca, ...(o.cert && o.key ? { cert: o.cert, key: o.key } : {}) },
  });
  if (res.status !== 200) throw edgeJoinErrors.create('KEDGE_JOIN_REFUSED', `${base}${path}: ${refusalText(res)}`);
  const checked = checkAnswer(res.text);
  if (!checked.ok) throw edgeJoinErrors.create('KEDGE_JOIN_REFUSED', `${base}${path} answered ${checked.reason}`);
  return { ...checked.value, keyPem: await privateKeyPem(keys.privateKey) };
}

async function call(
  base: string,
  path: string,
  req: Omit<Parameters<typeof httpRequest>[0], 'url'>,
): Promise<HttpResponse> {
  try {
    return await httpRequest({ url: `${base}${path}`, ...req });
  } catch (err) {
    throw edgeJoinErrors.create('KEDGE_JOIN_UNREACHABLE', `${base}${path}: ${errorText(err)}`, { cause: err });
  }
}

function refusalText(res: HttpResponse): string {
  try {
    const e = (JSON.parse(res.text) as { error?: { code?: string; message?: string } }).error;
    if (e?.message) return `${res.status} ${e.code ?? ''}: ${e.message}`;
  } catch {
    // not JSON: the status says enough
  }
  return `HTTP ${res.status}`;
}

/** `wss://host:10000[/...]` or `https://host:10002` -> the join port's base URL. */
export function joinUrlOf(cloud: string, joinPort = DEFAULT_PORTS.cloudJoin): string {
  const u = parseUrl(cloud);
  if (u.protocol === 'https:') return `https://${u.host}`;
  return `https://${u.hostname}:${joinPort}`; // an IPv6 hostname keeps its brackets
}

/** The link URL a join stores for later starts: `wss://host:port` (a join port URL gives the default hub port). */
export function linkUrlOf(cloud: string): string {
  const u = parseUrl(cloud);
  if (u.protocol === 'wss:') return `wss://${u.host}`;
  return `wss://${u.hostname}:${DEFAULT_PORTS.cloudHub}`;
}

function parseUrl(cloud: string): URL {
  let u: URL;
  try {
    u = new URL(cloud);
  } catch {
    throw edgeJoinErrors.create('KEDGE_JOIN_UNREACHABLE', `--cloud "${cloud}" is not a URL (wss://HOST:10000)`);
  }
  if (u.protocol !== 'wss:' && u.protocol !== 'https:')
    throw edgeJoinErrors.create(
      'KEDGE_JOIN_UNREACHABLE',
      `--cloud "${cloud}": a node joins over TLS, give wss://HOST:10000 (or the join port, https://HOST:10002)`,
    );
  return u;
}
