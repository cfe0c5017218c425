import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { OPCUACertificateManager } from 'node-opcua';

/**
 * The client's PKI folder, `<dataDir>/opcua-pki` (never $HOME): `own/` holds kedge's self-signed
 * client certificate (created on first use), `trusted/` and `rejected/` the server certificates.
 * With `acceptUnknown` (default true) an unknown server certificate is trusted on first use and
 * stored in `trusted/certs`; set it false in plants that distribute server certificates: an
 * unknown certificate is then put in `rejected/`, the device goes offline with the reason, and
 * moving the file to `trusted/certs` lets the next reconnect succeed. Each session opens its own
 * manager and opens a fresh one after a certificate failure: the manager's folder watchers do not
 * reliably see a file moved in under load, a fresh manager reads the folders again.
 */
export async function openClientPki(dataDir: string, acceptUnknown: boolean): Promise<OPCUACertificateManager> {
  const root = await preparePkiFolders(dataDir);
  const manager = new OPCUACertificateManager({
    rootFolder: root,
    automaticallyAcceptUnknownCertificate: acceptUnknown,
  });
  await manager.initialize();
  return manager;
}

/** Creates `<dataDir>/opcua-pki/{trusted/certs,rejected}` (also to fail early on a read-only dataDir). */
export async function preparePkiFolders(dataDir: string): Promise<string> {
  const root = join(dataDir, 'opcua-pki');
  for (const folder of ['trusted/certs', 'rejected', 'own']) await mkdir(join(root, folder), { recursive: true });
  return root;
}
