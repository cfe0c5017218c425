/**
 * Handles one message that arrived on an ingress topic. Returns a promise when the sender must
 * not be acknowledged before it settles (the message's writes are committed), else undefined.
 */
export type Ingest = (topic: string, payload: Buffer) => Promise<void> | undefined;

/** The EventBus's connection to a broker: the embedded one in-process, or an external one. */
export interface BrokerLink {
  /** Where mappers and apps connect (e.g. mqtt://127.0.0.1:1884). */
  readonly url: string;
  start(ingest: Ingest): Promise<void>;
  publish(topic: string, payload: Buffer | string, options: { retain: boolean; qos: 0 | 1 }): void;
  /** False only when it is certain that no client subscribes to `topic`. */
  wants(topic: string): boolean;
  stop(): Promise<void>;
}
