import { createHash, randomBytes } from 'node:crypto';
import { hostname, networkInterfaces } from 'node:os';
import type { TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import {
  formatJoinToken,
  type CloudChannels,
  type CloudRequests,
  type JoinResponse,
  type TokenCreate,
  type TokenCreated,
} from '../../contracts/index.js';
import type { Bus } from '../../core/bus/index.js';
import { systemClock, type Clock } from '../../core/clock/index.js';
import type { Module } from '../../core/module/index.js';
import { x509 } from '../../core/pki/index.js';
import { loadOrCreateCa, type CertificateAuthority } from './ca.js';
import { cloudPkiErrors } from './errors.js';
import { issueNodeCertificate, issueServerCertificate } from './issuer.js';
import type { PkiStateStore, TokenRefusal } from '../store/index.js';

export interface CloudPkiOptions {
  bus: Bus<CloudChannels, CloudRequests>;
  /** Tokens, certificates, revocations and the CA unless the user supplies one (the cloud store: shared by replicas). */
  state: PkiStateStore;
  caCertFile?: string | undefined;
  caKeyFile?: string | undefined;
  /** How long a node certificate is valid (nodes renew at two thirds of it). */
  nodeCertTtlMs: number;
  /** Names and addresses edges reach the cloud by, besides this host's own. */
  serverNames: string[];
  logger: Logger;
  clock?: Clock;
}

/** Who a connection is, by its client certificate; or why it is refused. */
export type PeerCheck =
  | { ok: true; node: string; serial: string; notAfter: number }
  | { ok: false; reason: 'no_certificate' | 'untrusted' | 'not_a_client' | 'revoked'; detail: string };

const SERVER_CERT_TTL_MS = 365 * 86_400_000;

/**
 * The cloud's certificate authority at work (docs/link.md, "Joining"): join tokens, node
 * certificates from CSRs, renewals, revocation, and the check of a connection's certificate.
 */
export class CloudPki implements Module {
  readonly name = 'pki';
  readonly group = 'pki';
  private caValue: CertificateAuthority | undefined;
  /** Serials revoked (by any replica) and not expired: every connection is checked against them. */
  private readonly revoked = new Set<string>();
  private revocations: { stop(): void } | undefined;
  private server: { certPem: string; keyPem: string } | undefined;
  private readonly revokedListeners = new Set<(node: string) => void>();
  private undo: Array<() => void> = [];
  private readonly log: Logger;
  private readonly clock: Clock;

  constructor(private readonly options: CloudPkiOptions) {
    this.log = options.logger.child({ module: 'pki' });
    this.clock = options.clock ?? systemClock;
  }

  async start(): Promise<void> {
    const o = this.options;
    this.caValue = await loadOrCreateCa({ certFile: o.caCertFile, keyFile: o.caKeyFile, state: o.state });
    const watch = await o.state.watchRevocations(this.clock.now(), (node, serials) => {
      if (this.learnRevoked(serials)) this.closeRevoked(node, serials.length);
    });
    this.revocations = watch;
    this.learnRevoked(watch.revoked);
    this.server = await issueServerCertificate(this.caValue, this.serverNames(), SERVER_CERT_TTL_MS, this.clock.now());
    this.log.info(
      { ca: this.caValue.source, caHash: this.caValue.hash, names: this.serverNames() },
      'certificate authority ready',
    );
    const me = { name: this.name, group: this.group };
    this.undo = [
      o.bus.serve('pki.createToken', me, async (req) => this.createToken(req)),
      o.bus.serve('pki.revokeNode', me, async (req) => ({ revoked: await this.revokeNode(req.node) })),
    ];
  }

  async stop(): Promise<void> {
    for (const off of this.undo.splice(0)) off();
    this.revocations?.stop();
    this.revocations = undefined;
    this.revoked.clear();
  }

  get ca(): CertificateAuthority {
    if (!this.caValue) throw new Error('CloudPki used before start()');
    return this.caValue;
  }

  /** TLS options of a server edges connect to: its certificate, and the CA client certificates must chain to. */
  serverTls(): { key: string; cert: string; ca: string } {
    return { key: this.server!.keyPem, cert: this.server!.certPem, ca: this.ca.certPem };
  }

  serverNames(): string[] {
    const own = [hostname(), 'localhost', '127.0.0.1', '::1'];
    for (const list of Object.values(networkInterfaces()))
      for (const a of list ?? []) if (!a.internal) own.push(a.address.replace(/%.*$/, ''));
    return [...new Set([...this.options.serverNames, ...own])];
  }

  async createToken(req: TokenCreate): Promise<TokenCreated> {
    const now = this.clock.now();
    const id = randomBytes(8).toString('hex');
    const secret = randomBytes(16).toString('hex');
    const expiresAt = now + req.ttlMs;
    await this.options.state.addToken({
      id,
      secretSha256: sha256(secret),
      expiresAt,
      usesLeft: req.uses,
      description: req.description,
      createdAt: now,
    });
    this.log.info({ tokenId: id, expiresAt: new Date(expiresAt).toISOString(), uses: req.uses }, 'join token created');
    return {
      token: formatJoinToken({ caHash: this.ca.hash, id, secret }),
      id,
      expiresAt: new Date(expiresAt).toISOString(),
      uses: req.uses,
    };
  }

  /** A node joins with a token: the token is checked and used, the CSR signed. */
  async join(token: { id: string; secret: string }, node: string, csrPem: string): Promise<JoinResponse> {
    const publicKey = await checkCsr(csrPem, node);
    const now = this.clock.now();
    const active = await this.options.state.activeCertificate(node, now);
    if (active)
      throw cloudPkiErrors.create(
        'KEDGE_JOIN_NODE_EXISTS',
        `node ${node} already holds a certificate (serial ${active.serial}, valid until ${new Date(active.notAfter).toISOString()})`,
      );
    const refusal = await this.options.state.useToken(token.id, sha256(token.secret), now);
    if (refusal) throw tokenRefused(token.id, refusal);
    return this.issue(node, publicKey, now, 'joined');
  }

  /** A node renews over mutual TLS with its current certificate: same name, new key. */
  async renew(peer: PeerCheck, node: string, csrPem: string): Promise<JoinResponse> {
    if (!peer.ok)
      throw cloudPkiErrors.create(
        peer.reason === 'revoked' ? 'KEDGE_JOIN_REVOKED' : 'KEDGE_JOIN_NOT_AUTHENTICATED',
        `renewal refused: ${peer.detail}`,
      );
    if (peer.node !== node)
      throw cloudPkiErrors.create(
        'KEDGE_JOIN_NOT_AUTHENTICATED',
        `node ${peer.node} asked for a certificate for node ${node}`,
      );
    const publicKey = await checkCsr(csrPem, node);
    return this.issue(node, publicKey, this.clock.now(), 'renewed');
  }

  private async issue(node: string, publicKey: x509.PublicKey, now: number, what: string): Promise<JoinResponse> {
    const issued = await issueNodeCertificate(this.ca, node, publicKey, this.options.nodeCertTtlMs, now);
    await this.options.state.recordCertificate({
      serial: normalSerial(issued.serial),
      node,
      issuedAt: now,
      notAfter: issued.notAfter.getTime(),
    });
    this.log.info({ node, serial: issued.serial, notAfter: issued.notAfter.toISOString() }, `node ${node} ${what}`);
    return { certificate: issued.pem, ca: this.ca.certPem, notAfter: issued.notAfter.toISOString() };
  }

  /**
   * The node a TLS connection is, by its client certificate: signed by this CA (checked by the TLS
   * layer: `authorized`), made for client authentication, not revoked. The name is the CN.
   */
  checkPeer(socket: TLSSocket): PeerCheck {
    const cert = socket.getPeerCertificate();
    if (!cert || Object.keys(cert).length === 0)
      return {
        ok: false,
        reason: 'no_certificate',
        detail: 'no client certificate (join the node first: kedge edge join)',
      };
    if (!socket.authorized)
      return {
        ok: false,
        reason: 'untrusted',
        detail: `client certificate not accepted: ${String(socket.authorizationError)}`,
      };
    const node = typeof cert.subject?.CN === 'string' ? cert.subject.CN : '';
    if (!cert.ext_key_usage?.includes('1.3.6.1.5.5.7.3.2') || node === '')
      return { ok: false, reason: 'not_a_client', detail: 'the certificate is not a node certificate' };
    if (this.revoked.has(normalSerial(cert.serialNumber)))
      return {
        ok: false,
        reason: 'revoked',
        detail: `the certificate of node ${node} (serial ${cert.serialNumber}) was revoked`,
      };
    return { ok: true, node, serial: cert.serialNumber, notAfter: Date.parse(cert.valid_to) };
  }

  /**
   * Revokes the node's certificates on every replica; connections of the node are closed by
   * whoever listens, here and (through the store's watch) on the other replicas.
   */
  async revokeNode(node: string): Promise<number> {
    const serials = await this.options.state.revokeNode(node, this.clock.now());
    if (this.learnRevoked(serials) || serials.length === 0) this.closeRevoked(node, serials.length);
    return serials.length;
  }

  /** Adds serials to the revoked set; whether any was new (each revocation is acted on once per replica). */
  private learnRevoked(serials: string[]): boolean {
    let fresh = false;
    for (const s of serials) {
      const n = normalSerial(s);
      if (!this.revoked.has(n)) fresh = true;
      this.revoked.add(n);
    }
    return fresh;
  }

  private closeRevoked(node: string, certificates: number): void {
    this.log.warn({ node, certificates }, `node ${node} revoked`);
    for (const l of this.revokedListeners) l(node);
  }

  onRevoked(listener: (node: string) => void): () => void {
    this.revokedListeners.add(listener);
    return () => this.revokedListeners.delete(listener);
  }
}

async function checkCsr(csrPem: string, node: string): Promise<x509.PublicKey> {
  let csr: x509.Pkcs10CertificateRequest;
  try {
    csr = new x509.Pkcs10CertificateRequest(csrPem);
  } catch (err) {
    throw cloudPkiErrors.create(
      'KEDGE_JOIN_BAD_REQUEST',
      `csr is not a PKCS#10 request in PEM: ${(err as Error).message}`,
    );
  }
  if (!(await csr.verify())) throw cloudPkiErrors.create('KEDGE_JOIN_BAD_REQUEST', 'the CSR signature does not verify');
  const cn = csr.subjectName.getField('CN');
  if (cn.length !== 1 || cn[0] !== node)
    throw cloudPkiErrors.create('KEDGE_JOIN_BAD_REQUEST', `the CSR is for "${csr.subject}", not CN=${node}`);
  return csr.publicKey;
}

function tokenRefused(id: string, why: TokenRefusal) {
  // An unknown id and a wrong secret read the same: the answer must not say which ids exist.
  const words: Record<TokenRefusal, string> = {
    unknown: `join token ${id} is not known`,
    wrong_secret: `join token ${id} is not known`,
    expired: `join token ${id} expired`,
    used_up: `join token ${id} is used up`,
  };
  return cloudPkiErrors.create('KEDGE_JOIN_TOKEN_INVALID', words[why], { detail: { refusal: why } });
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Serials compare as upper-case hex without leading zeros (Node and @peculiar/x509 write them differently). */
export function normalSerial(serial: string): string {
  return serial.toUpperCase().replace(/^0+(?=.)/, '');
}
