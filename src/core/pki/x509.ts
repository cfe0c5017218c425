// tsyringe, which @peculiar/x509 resolves its parsers through, needs the Reflect metadata API
// before @peculiar/x509 loads: this import stays first.
import 'reflect-metadata';
import { createHash, createPrivateKey, webcrypto, X509Certificate as NodeX509 } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { errorText } from '../errors/index.js';
import { pkiErrors } from './errors.js';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

export { x509 };
/** WebCrypto's key types (this project's TypeScript has Node's types, not the DOM's). */
export type CryptoKey = webcrypto.CryptoKey;
export type CryptoKeyPair = webcrypto.CryptoKeyPair;

/** Keys kedge generates: ECDSA P-256 (small certificates, fast handshakes on a Raspberry Pi). */
export const KEY_ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

export async function generateKeys(): Promise<CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(KEY_ALGORITHM, true, ['sign', 'verify'])) as CryptoKeyPair;
}

/** A private key as PKCS#8 PEM (what Node's TLS takes). */
export async function privateKeyPem(key: CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey('pkcs8', key);
  return x509.PemConverter.encode(der, 'PRIVATE KEY');
}

/** The signing algorithm that goes with a key (ECDSA with SHA-256, or RSA PKCS#1 v1.5 with SHA-256). */
export function signingAlgorithmOf(key: CryptoKey): { name: string; hash: string } {
  return key.algorithm.name === 'ECDSA'
    ? { name: 'ECDSA', hash: 'SHA-256' }
    : { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
}

const CURVES: Record<string, string> = { prime256v1: 'P-256', secp384r1: 'P-384', secp521r1: 'P-521' };

/**
 * A private key in any PEM form OpenSSL writes (PKCS#8, SEC1 `EC PRIVATE KEY`, PKCS#1 `RSA
 * PRIVATE KEY`) as a WebCrypto signing key; `what` names it in errors (a file).
 */
export async function importPrivateKey(pem: string, what: string): Promise<CryptoKey> {
  try {
    const key = createPrivateKey(pem);
    const der = key.export({ type: 'pkcs8', format: 'der' });
    if (key.asymmetricKeyType === 'ec') {
      const curve = CURVES[key.asymmetricKeyDetails?.namedCurve ?? ''];
      if (!curve) throw new Error(`curve ${key.asymmetricKeyDetails?.namedCurve} is not P-256, P-384 or P-521`);
      return (await webcrypto.subtle.importKey('pkcs8', der, { name: 'ECDSA', namedCurve: curve }, true, [
        'sign',
      ])) as CryptoKey;
    }
    if (key.asymmetricKeyType === 'rsa') {
      return (await webcrypto.subtle.importKey('pkcs8', der, { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, true, [
        'sign',
      ])) as CryptoKey;
    }
    throw new Error(`a ${key.asymmetricKeyType} key; kedge signs with EC (P-256/384/521) or RSA keys`);
  } catch (err) {
    throw pkiErrors.create('KEDGE_PKI_BAD_KEY', `${what} is not a usable private key: ${errorText(err)}`, {
      cause: err,
    });
  }
}

/** The hash a join token pins the CA by: SHA-256 of the certificate's DER, lower-case hex (KubeEdge's). */
export function certificateHash(pem: string): string {
  return createHash('sha256').update(new NodeX509(pem).raw).digest('hex');
}

/** A random serial number: 16 bytes, positive (RFC 5280: at most 20 octets, unpredictable). */
export function randomSerial(): string {
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0] = bytes[0]! & 0x7f;
  return Buffer.from(bytes).toString('hex');
}
