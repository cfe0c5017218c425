import { isKedgeError, errorText } from '../core/errors/index.js';

/**
 * Wraps a command's action: a KedgeError is printed as one line with its hint and exit code 1;
 * anything else also exits 1 with its message. Users never see a stack trace for their own
 * mistakes; `KEDGE_DEBUG=1` shows it for ours.
 */
export function runAction<A extends unknown[]>(
  command: string,
  action: (...args: A) => Promise<unknown>,
): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      const code = await action(...args);
      if (typeof code === 'number') process.exitCode = code;
    } catch (err) {
      const text = isKedgeError(err) ? err.toLine() : errorText(err);
      process.stderr.write(`kedge ${command}: ${text}\n`);
      if (process.env.KEDGE_DEBUG && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
      process.exitCode = 1;
    }
  };
}
