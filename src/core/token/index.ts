export { bearer, bearerMatches, MIN_TOKEN_LENGTH, readTokenFile, tokenErrors, worldReadableWarning } from './token.js';
