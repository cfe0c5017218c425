import { generateKeys, KEY_ALGORITHM, privateKeyPem, randomSerial, x509 } from '../../../src/core/pki/index.js';

/** A client certificate for `node` from a CA the cloud never saw (what an attacker can make). */
export async function foreignClientCertificate(node: string): Promise<{ cert: string; key: string }> {
  const caKeys = await generateKeys();
  const now = Date.now();
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: 'CN=kedge CA',
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + 3_600_000),
    keys: caKeys,
    signingAlgorithm: KEY_ALGORITHM,
    extensions: [new x509.BasicConstraintsExtension(true, 0, true)],
  });
  const keys = await generateKeys();
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: `CN=${node}`,
    issuer: ca.subject,
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + 3_600_000),
    signingKey: caKeys.privateKey,
    publicKey: keys.publicKey,
    signingAlgorithm: KEY_ALGORITHM,
    extensions: [new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth])],
  });
  return { cert: cert.toString('pem'), key: await privateKeyPem(keys.privateKey) };
}
