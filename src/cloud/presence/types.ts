/**
 * Which cloud replica holds each edge node's connection. The replica a node connects to claims
 * it; the leader derives node readiness from the claims (a replica that dies loses its claims
 * with its lease), and a replica whose claims may have lapsed (cut off from etcd) is unhealthy
 * and must stop serving edges.
 */
export interface NodePresence {
  /** This replica's identity. */
  readonly identity: string;
  /** False while this replica's claims may have lapsed; it must not serve edges then. */
  readonly healthy: boolean;
  /** Called with the new health on every change. */
  onHealth(listener: (healthy: boolean) => void): () => void;
  /** This replica holds `node`'s connection now (taking it from any other holder). */
  claim(node: string): Promise<void>;
  /** This replica no longer holds `node` (nothing happens when another replica holds it now). */
  release(node: string): Promise<void>;
  /** The replica holding `node` now, as the backend says (undefined: none). */
  holderOf(node: string): Promise<string | undefined>;
  /** Delivers the current holders, then every change (`holder` undefined: nobody holds the node). */
  watch(handler: (node: string, holder: string | undefined) => void): Promise<{ stop(): void }>;
  /** Publishes what other replicas should know of this one (its MQTT session), kept while it lives. */
  announce(value: string): Promise<void>;
  /** Live replicas and what they announced. */
  replicas(): Promise<Map<string, string>>;
  start(): Promise<void>;
  stop(): Promise<void>;
}
