export { CloudHub, CLOSE, type CloudHubOptions } from './cloudhub.js';
export { parseHubPath } from './path.js';
export { cloudhubErrors } from './errors.js';
