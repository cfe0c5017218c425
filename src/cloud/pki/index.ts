export { CloudPki, type CloudPkiOptions, type PeerCheck } from './pki.js';
export { JoinServer, type JoinServerOptions } from './join-server.js';
export { loadOrCreateCa, type CertificateAuthority } from './ca.js';
export { cloudPkiErrors } from './errors.js';
