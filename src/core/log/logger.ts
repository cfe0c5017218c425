import { fstatSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pino, type Logger, type Level } from 'pino';
import type PinoPretty from 'pino-pretty';

// pino-pretty (and its dependencies) load only for a logger that prints pretty lines: a process
// logging JSON (every service, every mapper) never needs it.
const requireLazily = createRequire(import.meta.url);

export type { Logger } from 'pino';

export interface LoggerOptions {
  level?: Level | 'silent';
  /** Human-readable lines; defaults to whether stderr is a terminal. */
  pretty?: boolean;
  /** Where lines go; defaults to stderr (stdout stays free for a command's output). */
  destination?: NodeJS.WritableStream;
  name?: string;
}

/**
 * The process logger: JSON lines by default (for journald and log shippers), pretty lines on a
 * terminal. pino-pretty runs in-process as a stream rather than as a transport worker thread,
 * which would cost a few MB of RSS on a Raspberry Pi. Modules get `logger.child({ module })`.
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const destination = options.destination ?? process.stderr;
  const isTty = (destination as NodeJS.WriteStream).isTTY === true;
  const base = { level: options.level ?? 'info', name: options.name, base: { pid: process.pid } };
  if (options.pretty ?? isTty) {
    const pretty = requireLazily('pino-pretty') as typeof PinoPretty;
    return pino(
      base,
      pretty({
        colorize: isTty,
        destination: destination as NodeJS.WritableStream,
        sync: true,
        ignore: 'pid,hostname',
      }),
    );
  }
  return pino(base, destination === process.stderr && stderrIsFile() ? fileStderr : destination);
}

/**
 * stderr redirected to a file (`kedge edge 2>>edge.log`) on a full disk: Node's stream emits
 * ENOSPC as an 'error' event that nothing handles, which ends the process. Lines go straight to
 * fd 2 instead, and a line that cannot be written is lost, not fatal; the next one tries again.
 */
const fileStderr = {
  write(line: string): void {
    try {
      writeSync(2, line);
    } catch {
      // no room for this line
    }
  },
};

function stderrIsFile(): boolean {
  try {
    return fstatSync(2).isFile();
  } catch {
    return false;
  }
}

/** A logger that drops everything, for tests and library use. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

export function moduleLogger(parent: Logger, module: string): Logger {
  return parent.child({ module });
}
