import { KedgeError, type KedgeErrorOptions } from './kedge-error.js';

/**
 * A module's error catalogue (fastify-style): every code the module can raise, with the hint that
 * tells the user what to do. Modules declare theirs in their own `errors.ts`:
 *
 *   export const errors = defineErrors({
 *     KEDGE_BUS_TIMEOUT: 'The handling module did not answer in time; check it is started.',
 *   });
 *   throw errors.create('KEDGE_BUS_TIMEOUT', `request ${name} timed out after ${ms} ms`);
 */
export interface ErrorCatalogue<C extends string> {
  readonly hints: Readonly<Record<C, string>>;
  create(code: C, message: string, options?: Omit<KedgeErrorOptions, 'hint'>): KedgeError;
}

export function defineErrors<C extends string>(hints: Record<C, string>): ErrorCatalogue<C> {
  const registered = Object.keys(hints) as C[];
  for (const code of registered) allCodes.set(code, hints[code]);
  return {
    hints,
    create(code, message, options = {}) {
      return new KedgeError(code, message, { ...options, hint: hints[code] });
    },
  };
}

const allCodes = new Map<string, string>();

/** Every code registered so far with its hint (for `--help` pages and documentation). */
export function registeredErrorCodes(): ReadonlyMap<string, string> {
  return allCodes;
}
