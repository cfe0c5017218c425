import type { Logger } from 'pino';
import type { Counter, Registry } from 'prom-client';
import { counter } from '../../src/core/metrics/index.js';

/**
 * Bad input from MQTT (malformed JSON, wrong shape, unknown property...) is counted per
 * subscription filter and reason, and logged once per (filter, reason): a publisher that keeps
 * sending garbage must not flood the log, but the first occurrence must be visible.
 */
export class BadPayloads {
  private readonly counter: Counter<'filter' | 'reason'>;
  private readonly logged = new Set<string>();
  private total = 0;

  constructor(
    registry: Registry,
    private readonly logger: Logger,
  ) {
    this.counter = counter(registry, {
      name: 'kedge_mapper_bad_payloads_total',
      help: 'MQTT payloads the mapper refused, by subscription filter and reason',
      labelNames: ['filter', 'reason'],
    });
  }

  /** `reason` is a short category (label value); `detail` names topic/device/field for the log. */
  record(filter: string, reason: string, topic: string, detail: string): void {
    this.total += 1;
    this.counter.inc({ filter, reason });
    const key = `${filter}\u0000${reason}`;
    if (this.logged.has(key)) return;
    this.logged.add(key);
    this.logger.warn(
      { filter, topic, reason, detail },
      `refused payload on ${topic}: ${detail} (further ${reason} on ${filter} are only counted)`,
    );
  }

  get count(): number {
    return this.total;
  }
}
