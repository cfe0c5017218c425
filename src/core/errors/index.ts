export { KedgeError, isKedgeError, toKedgeError, errorText, type KedgeErrorOptions } from './kedge-error.js';
export { defineErrors, registeredErrorCodes, type ErrorCatalogue } from './catalogue.js';
