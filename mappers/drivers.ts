import { type DriverLoader, type DriverModule, type DriverRegistry, mapperErrors } from './sdk/contract.js';

/**
 * Protocol -> how to load its driver. Loaded with a dynamic import only when a device of that
 * protocol shows up, so a mapper hosting modbus never pays for node-opcua (tens of MB and seconds
 * of start-up) and a missing optional dependency only affects its own protocol.
 *
 * Module paths are built from the protocol name so that a driver still being written (or removed
 * from a trimmed build) is a runtime "cannot load" for its devices, not a compile error here.
 */
const DRIVER_PATHS: Readonly<Record<string, string>> = {
  // The Modbus driver's own entry (mappers/modbus/index.ts is the building blocks' public face).
  modbus: './modbus/driver.js',
  opcua: './opcua/index.js',
  serial: './serial/index.js',
  gpio: './gpio/index.js',
};

export const DRIVER_PROTOCOLS = Object.keys(DRIVER_PATHS);

export type { DriverLoader };

/** The loader of a protocol's driver; throws KEDGE_MAPPER_UNKNOWN_PROTOCOL for other names. */
export const driverLoader: DriverRegistry = (protocol) => {
  const path = DRIVER_PATHS[protocol.toLowerCase()];
  if (!path) {
    throw mapperErrors.create(
      'KEDGE_MAPPER_UNKNOWN_PROTOCOL',
      `protocol ${protocol} has no driver (known: ${DRIVER_PROTOCOLS.join(', ')})`,
    );
  }
  return () => loadDriverModule(protocol, path);
};

async function loadDriverModule(protocol: string, path: string): Promise<DriverModule> {
  let loaded: unknown;
  try {
    loaded = await import(path);
  } catch (err) {
    throw mapperErrors.create(
      'KEDGE_MAPPER_DRIVER_LOAD',
      `driver for ${protocol} (${path}) cannot be loaded: ${(err as Error).message}`,
      { cause: err },
    );
  }
  const module = loaded as Partial<DriverModule>;
  if (typeof module.createDriver !== 'function') {
    throw mapperErrors.create(
      'KEDGE_MAPPER_DRIVER_LOAD',
      `driver for ${protocol} (${path}) does not export createDriver(ctx)`,
    );
  }
  return { createDriver: module.createDriver.bind(module) };
}
