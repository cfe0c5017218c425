import { chmodSync, readFileSync } from 'node:fs';
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
import type { PkiStateStore, StoredCa } from '../store/index.js';
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
  /** A CA the user supplies (both or neither): e.g. one shared by several cloud replicas. */
  certFile?: string | undefined;
  keyFile?: string | undefined;
  /** Else the CA kept in the cloud store, made there the first time (SQLite: `<data-dir>/pki`; etcd: shared by the replicas). */
  state: Pick<PkiStateStore, 'sharedCa'>;
}

const CA_YEARS = 10;

/** Loads the user's CA, or the one in the cloud store, or creates one there. */
export async function loadOrCreateCa(src: CaSource): Promise<CertificateAuthority> {
  if ((src.certFile === undefined) !== (src.keyFile === undefined))
    throw cloudPkiErrors.create('KEDGE_PKI_CA', `give both --ca-cert-file and --ca-key-file, or neither`);
  if (src.certFile !== undefined && src.keyFile !== undefined) {
    const { certPem, keyPem } = readCaFiles(src.certFile, src.keyFile);
    const ca = await checkedCa(certPem, keyPem, src.certFile, src.keyFile, src.certFile);
    tightenKeyMode(src.keyFile);
    return ca;
  }
  let kept: StoredCa;
  try {
    kept = await src.state.sharedCa(createCa);
  } catch (err) {
    throw cloudPkiErrors.create('KEDGE_PKI_CA', `cannot load or create the CA: ${errorText(err)}`, { cause: err });
  }
  return checkedCa(kept.certPem.trim(), kept.keyPem, kept.source, `the key of ${kept.source}`, kept.source);
}

async function createCa(): Promise<{ certPem: string; keyPem: string }> {
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
  return { certPem: cert.toString('pem'), keyPem: await privateKeyPem(keys.privateKey) };
}

function readCaFiles(certFile: string, keyFile: string): { certPem: string; keyPem: string } {
  try {
    return { certPem: readFileSync(certFile, 'utf8').trim(), keyPem: readFileSync(keyFile, 'utf8') };
  } catch (err) {
    throw cloudPkiErrors.create('KEDGE_PKI_CA', `cannot read the CA: ${errorText(err)}`, { cause: err });
  }
}

async function checkedCa(
  certPem: string,
  keyPem: string,
  certName: string,
  keyName: string,
  source: string,
): Promise<CertificateAuthority> {
  let cert: x509.X509Certificate;
  try {
    cert = new x509.X509Certificate(certPem);
  } catch (err) {
    throw cloudPkiErrors.create('KEDGE_PKI_CA', `${certName} is not a PEM certificate: ${errorText(err)}`);
  }
  const basic = cert.getExtension(x509.BasicConstraintsExtension);
  if (!basic?.ca)
    throw cloudPkiErrors.create('KEDGE_PKI_CA', `${certName} is not a CA certificate (basicConstraints CA:TRUE)`);
  if (cert.notAfter.getTime() < Date.now())
    throw cloudPkiErrors.create('KEDGE_PKI_CA', `${certName} expired on ${cert.notAfter.toISOString()}`);
  const key = await importPrivateKey(keyPem, keyName);
  await checkPair(cert, key, certName, keyName);
  return { cert, certPem, key, hash: certificateHash(certPem), source };
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
