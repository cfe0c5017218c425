export { createEdgeNode, type EdgeNode, type EdgeNodeOptions, type EdgeModuleDeps, type EdgeBus } from './node.js';
export type {
  MetaStore,
  OutboxStore,
  OutboxEntry,
  OutboxEntryInput,
  OutboxStats,
  OutboxKind,
  WriteBatcher,
} from './store/index.js';
export type { InProcessMapperFactory, InProcessMapperOptions, InProcessMapper } from './edged/index.js';
export { LOCAL_DESIRED_ANNOTATION, DESIRED_TIMEOUT_ANNOTATION } from './twin/index.js';
