export {
  x509,
  KEY_ALGORITHM,
  generateKeys,
  privateKeyPem,
  importPrivateKey,
  signingAlgorithmOf,
  certificateHash,
  randomSerial,
  type CryptoKey,
  type CryptoKeyPair,
} from './x509.js';
export { pkiErrors } from './errors.js';
