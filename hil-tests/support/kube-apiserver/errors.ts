import type { ResourceType } from './resources.js';

/** A request the server refuses: answered as a metav1.Status with this code and reason. */
export class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }

  status(): Record<string, unknown> {
    return {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      details: this.details,
      code: this.code,
    };
  }
}

const qualified = (t: ResourceType): string => (t.group ? `${t.plural}.${t.group}` : t.plural);
const details = (t: ResourceType, name: string) => ({ name, group: t.group, kind: t.plural });

export const notFound = (t: ResourceType, name: string): ApiError =>
  new ApiError(404, 'NotFound', `${qualified(t)} "${name}" not found`, details(t, name));

export const alreadyExists = (t: ResourceType, name: string): ApiError =>
  new ApiError(409, 'AlreadyExists', `${qualified(t)} "${name}" already exists`, details(t, name));

export const conflict = (t: ResourceType, name: string, why: string): ApiError =>
  new ApiError(409, 'Conflict', `Operation cannot be fulfilled on ${qualified(t)} "${name}": ${why}`, details(t, name));

export const invalid = (t: ResourceType, name: string, causes: string[]): ApiError =>
  new ApiError(422, 'Invalid', `${t.kind} "${name}" is invalid: ${causes.join(', ')}`, {
    ...details(t, name),
    causes: causes.map((c) => {
      const i = c.indexOf(': ');
      return { reason: 'FieldValueInvalid', message: c, field: i > 0 ? c.slice(0, i) : '' };
    }),
  });

export const badRequest = (message: string): ApiError => new ApiError(400, 'BadRequest', message);

export const STALE = 'the object has been modified; please apply your changes to the latest version and try again';
