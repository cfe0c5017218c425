export { joinCloud, joinUrlOf, linkUrlOf, requestCertificate, type JoinOptions } from './join.js';
export { CertificateRotation, type RotationOptions } from './rotation.js';
export {
  readJoined,
  hasCredentials,
  loadCredentials,
  pkiPaths,
  writeCredentials,
  type NodeCredentials,
  type JoinedInfo,
} from './files.js';
export { edgeJoinErrors } from './errors.js';
