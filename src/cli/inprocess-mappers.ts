import type { InProcessMapperFactory } from '../edge/index.js';

/**
 * `kedge edge --mappers inprocess`: the mapper runtime (mappers/sdk) with kedge's drivers, in the
 * edge process. Composed here, at the top, so that the edge never imports the mappers it hosts.
 * Loaded only when the first in-process mapper starts.
 */
export const inProcessMappers: InProcessMapperFactory = async (options) => {
  const [{ MapperRuntime }, { driverLoader }] = await Promise.all([
    import('../../mappers/sdk/index.js'),
    import('../../mappers/drivers.js'),
  ]);
  return new MapperRuntime({ ...options, drivers: driverLoader });
};
