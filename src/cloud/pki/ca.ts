import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { errorText } from '../../core/errors/index.js';
import {
  certificateHash,
  type CryptoKey,
  generateKeys,
  importPrivateKey,
  KEY_ALGORITHM,
  privateKeyPem,
  randomSerial,
  signingAlgorithmOf,
  x509,
} from '../../core/pki/index.js';
import { cloudPkiErrors } from './errors.js';

/** The cloud's certificate authority: signs node certificates and the cloud's own server certificates. */
export interface CertificateAuthority {
  cert: x509.X509Certificate;
  certPem: string;
  key: CryptoKey;
  /** SHA-256 of the certificate's DER, hex: what join tokens pin. */
  hash: string;
  /** Where it came from, for the log. */
  source: string;
}

export interface CaSource {
  /** `<dataDir>/pki` holds a CA kedge created (ca.crt, ca.key mode 0600). */
  dir: string;
  /** A CA the user supplies (both or neither): e.g. one shared by several cloud replicas. */
  certFile?: string | undefined;
  keyFile?: string | undefined;
}

const CA_YEARS = 10;

/** Loads the user's CA, or the one in `dir`, or creates one there. */
export async function loadOrCreateCa(src: CaSource): Promise<CertificateAuthority> {
  if ((src.certFile === undefined) !== (src.keyFile === undefined))
    throw cloudPkiErrors.create('KEDGE_PKI_CA', `give both --ca-cert-file and --ca-key-file, or neither`);
  if (src.certFile !== undefined && src.keyFile !== undefined) return loadCa(src.certFile, src.keyFile);
  const certFile = join(src.dir, 'ca.crt');
  const keyFile = join(src.dir, 'ca.key');
  if (existsSync(certFile) || existsSync(keyFile)) return loadCa(certFile, keyFile);
  return createCa(src.dir, certFile, keyFile);
}

async function createCa(dir: string, certFile: string, keyFile: string): Promise<CertificateAuthority> {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const keys = await generateKeys();
    const now = Date.now();
    const cert = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: randomSerial(),
      name: `CN=kedge CA ${new Date(now).toISOString().slice(0, 10)}`,
      notBefore: new Date(now - 60_000),
      notAfter: new Date(now + CA_YEARS * 365 * 86_400_000),
      keys,
      signingAlgorithm: KEY_ALGORITHM,
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      ],
    });
    const certPem = cert.toString('pem');
    // The key first and private from its first byte: a crash between leaves no readable key.
    writeFileSync(keyFile, await privateKeyPem(keys.privateKey), { mode: 0o600, flag: 'wx' });
    writeFileSync(certFile, `${certPem}\n`, { mode: 0o644, flag: 'wx' });
    return { cert, certPem, key: keys.privateKey, hash: certificateHash(certPem), source: `created in ${dir}` };
  } catch (err) {
    throw cloudPkiErrors.create('KEDGE_PKI_CA', `cannot create a CA in ${dir}: ${errorText(err)}`, { cause: err });
  }
}

async function loadCa(certFile: string, keyFile: string): Promise<CertificateAuthority> {
  let certPem: string;
  let keyPem: string;
  try {
    certPem = readFileSync(certFile, 'utf8').trim();
    keyPem = readFileSync(keyFile, 'utf8');
  } catch (err) {
    throw cloudPkiErrors.create('KEDGE_PKI_CA', `cannot read the CA: ${errorText(err)}`, { cause: err });
  }
  let cert: x509.X509Certificate;
  try {
    cert = new x509.X509Certificate(certPem);
  } catch (err) {
    throw cloudPkiErrors.create('KEDGE_PKI_CA', `${certFile} is not a PEM certificate: ${errorText(err)}`);
  }
  const basic = cert.getExtension(x509.BasicConstraintsExtension);
  if (!basic?.ca)
    throw cloudPkiErrors.create('KEDGE_PKI_CA', `${certFile} is not a CA certificate (basicConstraints CA:TRUE)`);
  if (cert.notAfter.getTime() < Date.now())
    throw cloudPkiErrors.create('KEDGE_PKI_CA', `${certFile} expired on ${cert.notAfter.toISOString()}`);
  const key = await importPrivateKey(keyPem, keyFile);
  await checkPair(cert, key, certFile, keyFile);
  tightenKeyMode(keyFile);
  return { cert, certPem, key, hash: certificateHash(certPem), source: `${certFile}` };
}

/** The key must be the certificate's: sign a test certificate with it and verify with the CA's public key. */
async function checkPair(cert: x509.X509Certificate, key: CryptoKey, certFile: string, keyFile: string): Promise<void> {
  const probe = await x509.X509CertificateGenerator.create({
    serialNumber: '01',
    subject: 'CN=probe',
    issuer: cert.subject,
    notBefore: new Date(),
    notAfter: new Date(Date.now() + 60_000),
    signingKey: key,
    publicKey: cert.publicKey,
    signingAlgorithm: signingAlgorithmOf(key),
  });
  if (!(await probe.verify({ publicKey: cert.publicKey, signatureOnly: true })))
    throw cloudPkiErrors.create('KEDGE_PKI_CA', `${keyFile} is not the key of ${certFile}`);
}

function tightenKeyMode(keyFile: string): void {
  try {
    chmodSync(keyFile, 0o600);
  } catch {
    // A read-only mount (a Kubernetes secret) keeps its own mode.
  }
}
