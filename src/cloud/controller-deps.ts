import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { CloudChannels, CloudRequests } from '../contracts/index.js';
import type { Bus } from '../core/bus/index.js';
import type { Clock } from '../core/clock/index.js';
import type { NodePresence } from './presence/index.js';
import type { LinkStateStore, ObjectStore } from './store/index.js';

/** What the cloud's controllers (DeviceController, EdgeController) are handed by `createCloudNode`. */
export interface ControllerDeps {
  bus: Bus<CloudChannels, CloudRequests>;
  store: ObjectStore;
  linkState: LinkStateStore;
  logger: Logger;
  registry: Registry;
  clock?: Clock;
  /** Which replica holds each node (default: this process holds what connects to it). */
  presence?: NodePresence;
}
