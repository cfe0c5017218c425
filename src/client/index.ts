export { ApiClient, type DeviceWithStatus, type ListResponse, type PodWithStatus } from './api-client.js';
export {
  resolveTarget,
  parseObjectName,
  DEFAULT_SERVER,
  EDGE_SERVER,
  type ServerTarget,
  type TargetOptions,
} from './target.js';
export {
  render,
  formatTable,
  formatAge,
  checkFormat,
  nodesTable,
  devicesTable,
  modelsTable,
  twinTable,
  podsTable,
  type OutputFormat,
} from './format.js';
export { clientErrors } from './errors.js';
