import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { Counter, type Registry } from 'prom-client';
import type { PeerCheck } from '../pki/index.js';

/**
 * What CloudHub needs of the cloud's CA (src/cloud/pki) to run the link over mutual TLS: its own
 * server certificate, the check of a node's client certificate, and word of revoked nodes.
 */
export interface HubTls {
  serverTls(): { key: string; cert: string; ca: string };
  checkPeer(socket: TLSSocket): PeerCheck;
  onRevoked(listener: (node: string) => void): () => void;
}

/** Who connected, by certificate; or the HTTP answer that refuses it. */
export type CertificateVerdict =
  | { ok: true; node: string; notAfter: number }
  | { ok: false; status: 401 | 403; reason: string; why: string };

/**
 * A link upgrade over TLS: the node is its certificate's CN. A URL that names another node is an
 * impersonation attempt: refused (403), not silently corrected, so it shows in the log and the metric.
 */
export function checkCertificate(tls: HubTls, req: IncomingMessage, pathNode: string): CertificateVerdict {
  const peer = tls.checkPeer(req.socket as TLSSocket);
  if (!peer.ok)
    return { ok: false, status: peer.reason === 'revoked' ? 403 : 401, reason: peer.reason, why: peer.detail };
  if (peer.node !== pathNode)
    return {
      ok: false,
      status: 403,
      reason: 'impersonation',
      why: `the certificate of node ${peer.node} was used to connect as node ${pathNode}`,
    };
  return { ok: true, node: peer.node, notAfter: peer.notAfter };
}

export function refusedConnectionsCounter(registry: Registry): Counter<'reason'> {
  return new Counter({
    name: 'kedge_cloudhub_refused_connections_total',
    help: 'Link connections refused for their certificate: no_certificate, untrusted, not_a_client, revoked, impersonation',
    labelNames: ['reason'],
    registers: [registry],
  });
}
