export {
  KedgeError,
  isKedgeError,
  toKedgeError,
  errorText,
  httpStatusOf,
  type KedgeErrorOptions,
} from './kedge-error.js';
export { defineErrors, registeredErrorCodes, type ErrorCatalogue, type ErrorDefinition } from './catalogue.js';
