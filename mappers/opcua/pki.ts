import { join } from 'node:path';
import { OPCUACertificateManager } from 'node-opcua';

/**
 * The client's PKI folder, `<dataDir>/opcua-pki` (never $HOME): `own/` holds kedge's self-signed
 * client certificate (created on first use), `trusted/` and `rejected/` the server certificates.
 * With `acceptUnknown` (default true) an unknown server certificate is trusted on first use and
 * stored in `trusted/certs`; set it false in plants that distribute server certificates: an
 * unknown certificate is then put in `rejected/certs`, the device goes offline with the reason, and
 * moving the file to `trusted/certs` lets the next reconnect succeed.
 */
export async function openClientPki(dataDir: string, acceptUnknown: boolean): Promise<OPCUACertificateManager> {
  const manager = new OPCUACertificateManager({
    rootFolder: join(dataDir, 'opcua-pki'),
    automaticallyAcceptUnknownCertificate: acceptUnknown,
  });
  await manager.initialize();
  return manager;
}
