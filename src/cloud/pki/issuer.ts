import { isIP } from 'node:net';
import { generateKeys, privateKeyPem, randomSerial, signingAlgorithmOf, x509 } from '../../core/pki/index.js';
import type { CertificateAuthority } from './ca.js';

/**
 * Certificates are valid from a little before now, as a node's clock may be behind: 5 minutes, or
 * a tenth of a short lifetime (so a node, renewing at two thirds of notBefore..notAfter, does not
 * renew at once).
 */
const backdate = (ttlMs: number) => Math.min(5 * 60_000, Math.floor(ttlMs / 10));

export interface IssuedCertificate {
  pem: string;
  serial: string;
  notAfter: Date;
}

/** A client certificate for a node: CN = node name, usable only for TLS client authentication. */
export async function issueNodeCertificate(
  ca: CertificateAuthority,
  node: string,
  publicKey: x509.PublicKey,
  ttlMs: number,
  now = Date.now(),
): Promise<IssuedCertificate> {
  const serial = randomSerial();
  const notAfter = new Date(Math.min(now + ttlMs, ca.cert.notAfter.getTime()));
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial,
    subject: new x509.Name([{ CN: [node] }]),
    issuer: ca.cert.subjectName,
    notBefore: new Date(now - backdate(ttlMs)),
    notAfter,
    signingKey: ca.key,
    publicKey,
    signingAlgorithm: signingAlgorithmOf(ca.key),
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth]),
      await x509.AuthorityKeyIdentifierExtension.create(ca.cert),
    ],
  });
  return { pem: cert.toString('pem'), serial: cert.serialNumber, notAfter };
}

/**
 * The cloud's own TLS certificate (CloudHub and the join port), made at every start: the names
 * edges reach the cloud by (host names and addresses), usable only for TLS server authentication,
 * so a node's certificate can never pose as the cloud nor this one as a node.
 */
export async function issueServerCertificate(
  ca: CertificateAuthority,
  names: string[],
  ttlMs: number,
  now = Date.now(),
): Promise<{ certPem: string; keyPem: string }> {
  const keys = await generateKeys();
  const unique = [...new Set(names)];
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: new x509.Name([{ CN: ['kedge cloud'] }]),
    issuer: ca.cert.subjectName,
    notBefore: new Date(now - backdate(ttlMs)),
    notAfter: new Date(Math.min(now + ttlMs, ca.cert.notAfter.getTime())),
    signingKey: ca.key,
    publicKey: keys.publicKey,
    signingAlgorithm: signingAlgorithmOf(ca.key),
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(
        unique.map((n) => (isIP(n) ? { type: 'ip' as const, value: n } : { type: 'dns' as const, value: n })),
      ),
    ],
  });
  return { certPem: cert.toString('pem'), keyPem: await privateKeyPem(keys.privateKey) };
}
