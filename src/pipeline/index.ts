export { compilePipeline, type Pipeline, type PipelineOptions } from './pipeline.js';
export { PipelineSet, type PipelineSetOptions, type PipelineSetSnapshot, type TickOutput } from './pipeline-set.js';
export { PipelineSnapshotSchema, type PipelineSnapshot } from './state.js';
export {
  createCounters,
  type CleansedReading,
  type PipelineCounters,
  type RawSample,
  type RawValue,
} from './types.js';
export { registerPipelineMetrics } from './metrics.js';
export { errors as pipelineErrors } from './errors.js';
