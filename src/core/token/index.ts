export { bearer, bearerMatches, MIN_TOKEN_LENGTH, readTokenFile, tokenErrors } from './token.js';
