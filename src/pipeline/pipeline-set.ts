import type { Registry } from 'prom-client';
import type { CleansingRules } from '../model/cleansing/index.js';
import { errors } from './errors.js';
import { registerPipelineMetrics } from './metrics.js';
import { compilePipeline, type Pipeline } from './pipeline.js';
import type { PipelineSnapshot } from './state.js';
import { createCounters, type CleansedReading, type PipelineCounters, type RawSample } from './types.js';

export interface PipelineSetOptions {
  /** When given, the counters are exposed there (never on prom-client's global registry). */
  registry?: Registry;
}

/** An output of `tick`: which property it belongs to and the reading to publish. */
export interface TickOutput {
  deviceId: string;
  property: string;
  reading: CleansedReading;
}

/** Snapshots of all pipelines, keyed `deviceId/property` (device names cannot contain '/'). */
export type PipelineSetSnapshot = Record<string, PipelineSnapshot>;

/**
 * The pipelines of all properties of all devices. Nested maps rather than a `deviceId/property`
 * string key, so that looking a pipeline up allocates nothing.
 */
export class PipelineSet {
  readonly counters: PipelineCounters = createCounters();
  private readonly devices = new Map<string, Map<string, Pipeline>>();

  constructor(options: PipelineSetOptions = {}) {
    if (options.registry) registerPipelineMetrics(options.registry, this.counters);
  }

  /**
   * Builds (or rebuilds) the pipeline of one property; throws KEDGE_PIPELINE_INVALID_RULES. A
   * rebuilt pipeline keeps the state of the old one as far as the new rules allow.
   */
  configure(deviceId: string, property: string, rules: CleansingRules): void {
    const pipeline = compilePipeline(rules, { name: `${deviceId}/${property}`, counters: this.counters });
    let properties = this.devices.get(deviceId);
    if (!properties) {
      properties = new Map();
      this.devices.set(deviceId, properties);
    }
    const previous = properties.get(property);
    if (previous) pipeline.restore(previous.snapshot());
    properties.set(property, pipeline);
  }

  /** Drops all pipelines of a device (or one property of it). */
  remove(deviceId: string, property?: string): void {
    if (property === undefined) {
      this.devices.delete(deviceId);
      return;
    }
    const properties = this.devices.get(deviceId);
    properties?.delete(property);
    if (properties?.size === 0) this.devices.delete(deviceId);
  }

  has(deviceId: string, property: string): boolean {
    return this.devices.get(deviceId)?.has(property) ?? false;
  }

  /** Throws KEDGE_PIPELINE_UNKNOWN_PROPERTY for a property that was never configured. */
  process(deviceId: string, property: string, raw: RawSample): CleansedReading | undefined {
    const pipeline = this.devices.get(deviceId)?.get(property);
    if (!pipeline) {
      throw errors.create('KEDGE_PIPELINE_UNKNOWN_PROPERTY', `no cleansing pipeline for ${deviceId}/${property}`);
    }
    return pipeline.process(raw);
  }

  /** Heartbeats and staleness transitions due at `now`, for every property. */
  tick(now: number): TickOutput[] {
    const out: TickOutput[] = [];
    for (const [deviceId, properties] of this.devices) {
      for (const [property, pipeline] of properties) {
        const reading = pipeline.tick(now);
        if (reading) out.push({ deviceId, property, reading });
      }
    }
    return out;
  }

  snapshot(): PipelineSetSnapshot {
    const all: PipelineSetSnapshot = {};
    for (const [deviceId, properties] of this.devices) {
      for (const [property, pipeline] of properties) all[`${deviceId}/${property}`] = pipeline.snapshot();
    }
    return all;
  }

  /**
   * Restores the configured pipelines found in `snapshot`; returns the keys that have no configured
   * pipeline (devices removed while the node was down), which the caller may delete from storage.
   */
  restore(snapshot: PipelineSetSnapshot): string[] {
    const unknown: string[] = [];
    for (const [key, snap] of Object.entries(snapshot)) {
      const slash = key.indexOf('/');
      const pipeline = slash < 0 ? undefined : this.devices.get(key.slice(0, slash))?.get(key.slice(slash + 1));
      if (pipeline) pipeline.restore(snap);
      else unknown.push(key);
    }
    return unknown;
  }
}
