import type { DriverModule } from './sdk/contract.js';
import { mapperErrors } from './sdk/contract.js';

/**
 * Protocol -> how to load its driver. Loaded with a dynamic import only when a device of that
 * protocol shows up, so a mapper hosting modbus never pays for node-opcua (tens of MB and seconds
 * of start-up) and a missing optional dependency only affects its own protocol (a failed import
 * is a runtime "cannot load" for that protocol's devices). The paths are literals so that the
 * mapper bundle (esbuild, see bin/kedge.js) can split each driver into its own chunk.
 */
const DRIVER_IMPORTS: Readonly<Record<string, { path: string; load: () => Promise<unknown> }>> = {
  // The Modbus driver's own entry (mappers/modbus/index.ts is the building blocks' public face).
  modbus: { path: './modbus/driver.js', load: () => import('./modbus/driver.js') },
  opcua: { path: './opcua/index.js', load: () => import('./opcua/index.js') },
  serial: { path: './serial/index.js', load: () => import('./serial/index.js') },
  gpio: { path: './gpio/index.js', load: () => import('./gpio/index.js') },
};

export const DRIVER_PROTOCOLS = Object.keys(DRIVER_IMPORTS);

export type DriverLoader = () => Promise<DriverModule>;

/** The loader of a protocol's driver; throws KEDGE_MAPPER_UNKNOWN_PROTOCOL for other names. */
export function driverLoader(protocol: string): DriverLoader {
  const driver = DRIVER_IMPORTS[protocol.toLowerCase()];
  if (!driver) {
    throw mapperErrors.create('KEDGE_MAPPER_UNKNOWN_PROTOCOL', `protocol ${protocol} has no driver (known: ${DRIVER_PROTOCOLS.join(', ')})`);
  }
  return () => loadDriverModule(protocol, driver.path, driver.load);
}

async function loadDriverModule(protocol: string, path: string, load: () => Promise<unknown>): Promise<DriverModule> {
  let loaded: unknown;
  try {
    loaded = await load();
  } catch (err) {
    throw mapperErrors.create('KEDGE_MAPPER_DRIVER_LOAD', `driver for ${protocol} (${path}) cannot be loaded: ${(err as Error).message}`, { cause: err });
  }
  const module = loaded as Partial<DriverModule>;
  if (typeof module.createDriver !== 'function') {
    throw mapperErrors.create('KEDGE_MAPPER_DRIVER_LOAD', `driver for ${protocol} (${path}) does not export createDriver(ctx)`);
  }
  return { createDriver: module.createDriver.bind(module) };
}
