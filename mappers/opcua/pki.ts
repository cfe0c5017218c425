import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { OPCUACertificateManager } from 'node-opcua';

/**
 * The client's PKI folder, `<dataDir>/opcua-pki` (never $HOME): `own/` holds kedge's self-signed
 * client certificate (created on first use), `trusted/` and `rejected/` the server certificates.
 * With `acceptUnknown` (default true) an unknown server certificate is trusted on first use and
 * stored in `trusted/certs`; set it false in plants that distribute server certificates: an
 * unknown certificate is then put in `rejected/`, the device goes offline with the reason, and
 * moving the file to `trusted/certs` lets the next reconnect succeed.
 */
export async function openClientPki(dataDir: string, acceptUnknown: boolean): Promise<OPCUACertificateManager> {
  const root = join(dataDir, 'opcua-pki');
  // The manager watches these folders for certificates an operator moves in; a folder that does
  // not exist yet when the watch starts is not watched reliably, so create them first.
  for (const folder of ['trusted/certs', 'rejected']) await mkdir(join(root, folder), { recursive: true });
  const manager = new OPCUACertificateManager({
    rootFolder: root,
    automaticallyAcceptUnknownCertificate: acceptUnknown,
  });
  await manager.initialize();
  return manager;
}
