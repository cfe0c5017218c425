import type { DriverContext, DriverModule, ProtocolDriver } from '../sdk/contract.js';
import { OpcuaDriver, type OpcuaDriverOptions } from './driver.js';

/**
 * The OPC UA driver, loaded by the mapper SDK with a dynamic import of this file only when a
 * device uses protocol opcua (node-opcua is heavy: nothing outside mappers/opcua imports it).
 */
export function createDriver(ctx: DriverContext, options: OpcuaDriverOptions = {}): ProtocolDriver {
  return new OpcuaDriver(ctx, options);
}

export const driverModule: DriverModule = { createDriver };
export { OpcuaDriver, DEFAULT_BACKOFF, type OpcuaDriverOptions } from './driver.js';
export { opcuaErrors } from './errors.js';
// The tag browser (`kedge opcua-browse`, the edge's `opcua.browse`): loaded the same lazy way.
export { OpcuaBrowser, type BrowseAnswer, type BrowseParams, type BrowsedNode } from './browse.js';
export { serveBrowseRequests } from './browse-server.js';
