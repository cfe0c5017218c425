import { Value } from '@sinclair/typebox/value';
import { type CloudConfig, CloudConfigSchema, type EdgeConfig, EdgeConfigSchema } from './schema.js';

/**
 * The configuration's defaults, read from the schema: the one place they live. Modules take
 * required options; the composition roots pass the loaded configuration, and tests that build a
 * module by hand take its defaults from here rather than writing the numbers again.
 */
export function edgeDefaults(given: Partial<EdgeConfig> = {}): EdgeConfig {
  return Value.Default(EdgeConfigSchema, structuredClone(given)) as EdgeConfig;
}

export function cloudDefaults(given: Partial<CloudConfig> = {}): CloudConfig {
  return Value.Default(CloudConfigSchema, structuredClone(given)) as CloudConfig;
}
