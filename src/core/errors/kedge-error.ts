/**
 * Every error kedge raises on purpose is a KedgeError: a stable code a user can search for,
 * a message that names the thing at fault (file, field, topic, device), the cause, and a hint
 * that says what to do. Protocol detail (a Modbus exception code, an OPC UA status) travels in
 * `detail` so that it reaches logs and quality reasons unchanged.
 */
export interface KedgeErrorOptions {
  cause?: unknown;
  hint?: string;
  detail?: Record<string, unknown>;
  /** The HTTP status an API answers with for it (from the code's catalogue; default 500). */
  status?: number;
}

export class KedgeError extends Error {
  readonly code: string;
  readonly hint: string | undefined;
  readonly detail: Record<string, unknown> | undefined;
  readonly status: number;

  constructor(code: string, message: string, options: KedgeErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'KedgeError';
    this.code = code;
    this.hint = options.hint;
    this.detail = options.detail;
    this.status = options.status ?? 500;
  }

  /** One line for a terminal: `CODE: message (hint)`. */
  toLine(): string {
    return `${this.code}: ${this.message}${this.hint ? ` — ${this.hint}` : ''}`;
  }

  toJSON(): Record<string, unknown> {
    return { code: this.code, message: this.message, hint: this.hint, detail: this.detail };
  }
}

export function isKedgeError(err: unknown): err is KedgeError {
  return err instanceof KedgeError;
}

/** Wraps anything thrown into a KedgeError, keeping a KedgeError as it is. */
export function toKedgeError(err: unknown, code: string, message?: string): KedgeError {
  if (err instanceof KedgeError) return err;
  const text = err instanceof Error ? err.message : String(err);
  return new KedgeError(code, message ? `${message}: ${text}` : text, { cause: err });
}

/** The text of any thrown value, for logs and quality reasons. */
export function errorText(err: unknown): string {
  if (err instanceof Error) return err.message;
  return typeof err === 'string' ? err : JSON.stringify(err);
}

/** The HTTP status for anything thrown while answering a request: a KedgeError's own, else 500. */
export function httpStatusOf(err: unknown): number {
  return err instanceof KedgeError ? err.status : 500;
}
