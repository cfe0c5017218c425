import type { DriverModule } from './driver.js';
import { mapperErrors } from './errors.js';

/** Loads a protocol's driver module (a dynamic import: only when a device of it shows up). */
export type DriverLoader = () => Promise<DriverModule>;

/**
 * Protocol -> how to load its driver; throws KEDGE_MAPPER_UNKNOWN_PROTOCOL for a protocol it does
 * not know. The mapper runtime is handed one by its composition root (`kedge mapper`, `kedge edge`
 * with in-process mappers: mappers/drivers.ts), so the SDK never imports the drivers it hosts.
 */
export type DriverRegistry = (protocol: string) => DriverLoader;

/** A registry of exactly these loaders (keys lower case), e.g. a driver with test timings. */
export function driverRegistry(loaders: Readonly<Record<string, DriverLoader>>): DriverRegistry {
  return (protocol) => {
    const load = loaders[protocol.toLowerCase()];
    if (!load)
      throw mapperErrors.create(
        'KEDGE_MAPPER_UNKNOWN_PROTOCOL',
        `protocol ${protocol} has no driver here (known: ${Object.keys(loaders).join(', ') || 'none'})`,
      );
    return load;
  };
}
