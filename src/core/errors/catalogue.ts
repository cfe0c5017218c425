import { KedgeError, type KedgeErrorOptions } from './kedge-error.js';

/** A code's definition: the hint that tells the user what to do, and the HTTP status it answers with. */
export interface ErrorDefinition {
  hint: string;
  /** The HTTP status an API answers with when this error ends a request (default 500). */
  status: number;
}

/**
 * A module's error catalogue (fastify-style: each code carries its status): every code the
 * module can raise, with its hint. Modules declare theirs in their own `errors.ts`:
 *
 *   export const errors = defineErrors({
 *     KEDGE_BUS_TIMEOUT: { status: 504, hint: 'The handling module did not answer in time; check it is started.' },
 *     KEDGE_BUS_DUPLICATE_HANDLER: 'Two modules serve the same request name; only one may.', // status 500
 *   });
 *   throw errors.create('KEDGE_BUS_TIMEOUT', `request ${name} timed out after ${ms} ms`);
 *
 * A code lives in exactly one catalogue: defining it a second time throws when the module loads.
 */
export interface ErrorCatalogue<C extends string> {
  readonly hints: Readonly<Record<C, string>>;
  readonly statuses: Readonly<Record<C, number>>;
  create(code: C, message: string, options?: Omit<KedgeErrorOptions, 'hint' | 'status'>): KedgeError;
}

export function defineErrors<C extends string>(definitions: Record<C, string | ErrorDefinition>): ErrorCatalogue<C> {
  const hints = {} as Record<C, string>;
  const statuses = {} as Record<C, number>;
  for (const code of Object.keys(definitions) as C[]) {
    const d = definitions[code];
    const definition: ErrorDefinition = typeof d === 'string' ? { hint: d, status: 500 } : d;
    const earlier = allCodes.get(code);
    if (earlier && (earlier.hint !== definition.hint || earlier.status !== definition.status))
      throw new Error(`error code ${code} is defined in two catalogues; a code lives in one`);
    allCodes.set(code, definition);
    hints[code] = definition.hint;
    statuses[code] = definition.status;
  }
  return {
    hints,
    statuses,
    create(code, message, options = {}) {
      return new KedgeError(code, message, { ...options, hint: hints[code], status: statuses[code] });
    },
  };
}

const allCodes = new Map<string, ErrorDefinition>();

/** Every code registered so far with its definition (for `--help` pages and documentation). */
export function registeredErrorCodes(): ReadonlyMap<string, ErrorDefinition> {
  return allCodes;
}
