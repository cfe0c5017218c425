import { envNameOf } from '../core/config/index.js';
import { defineErrors, type KedgeError } from '../core/errors/index.js';

export const portErrors = defineErrors({
  KEDGE_PORT_IN_USE:
    'Stop the process that holds the port (`ss -ltnp` shows it), or give this one a free port with the flag named above.',
});

/** A port a daemon listens on, with the flag (and config field) that sets it. */
export interface PortSetting {
  /** Where its value is: the config field (['cloud', 'apiPort']), or the command's option (['tcp']). */
  path: string[];
  /** The KEDGE_* variable that sets it too, for a config field. */
  env?: string;
  flag: string;
  /** What listens there, for the message: "the HTTP API". */
  what: string;
}

/** A config field's port: its flag, and the KEDGE_* variable named after the field. */
export function configPort(path: string[], flag: string, what: string): PortSetting {
  return { path, flag, what, env: envNameOf(path) };
}

/**
 * A daemon that cannot listen because its port is taken says which of its ports it was and the
 * flag to change (module errors name only the address): KEDGE_PORT_IN_USE, or undefined when
 * `err` is no EADDRINUSE of one of `ports`.
 */
export function portInUse(
  err: unknown,
  ports: readonly PortSetting[],
  /** The loaded configuration, or the command's options: where each port's `path` points. */
  config: unknown,
  command: string,
): KedgeError | undefined {
  const cause = addressInUse(err);
  if (!cause) return undefined;
  const matching = ports.filter((p) => valueAt(config, p.path) === cause.port);
  if (matching.length === 0) return undefined;
  const names = matching.map((p) => `${p.what} (${[p.flag, p.env].filter(Boolean).join(', ')})`).join(' and ');
  return portErrors.create(
    'KEDGE_PORT_IN_USE',
    `port ${cause.port} is already in use on ${cause.address ?? 'this machine'}: it is the port of ${names}; another kedge ${command} may be running. Choose another with ${matching.map((p) => p.flag).join(' or ')}`,
    { cause: err, detail: { port: cause.port, flags: matching.map((p) => p.flag) } },
  );
}

function addressInUse(err: unknown): { port: number; address?: string } | undefined {
  for (let e = err, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    const sys = e as NodeJS.ErrnoException & { port?: unknown; address?: unknown };
    if (sys.code === 'EADDRINUSE' && typeof sys.port === 'number')
      return { port: sys.port, ...(typeof sys.address === 'string' ? { address: sys.address } : {}) };
  }
  return undefined;
}

function valueAt(obj: unknown, path: string[]): unknown {
  let v = obj;
  for (const key of path) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[key] : undefined;
  return v;
}
