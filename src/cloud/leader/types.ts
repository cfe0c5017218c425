/**
 * Work that must run once in a set of cloud replicas (node readiness, cleanup after a replica
 * died) runs only on the replica that leads. `signal` aborts the moment this replica stops
 * leading: its lease could not be renewed in time (partitioned from etcd), it lost the lease,
 * or it is stopping. The work must stop writing then; the next leader starts it again.
 */
export type LeaderWork = (signal: AbortSignal) => void | Promise<void>;

/**
 * "Run this work only while leader". Implementations: `SoleLeader` (one process: always leads),
 * `EtcdLeaderElection` (a key held under an etcd lease), and a coordination.k8s.io Lease
 * (Kubernetes mode). Shaped after client-go's leaderelection: a lease with a TTL, renewed well
 * before it ends; a leader that cannot renew steps down before the lease could pass to another.
 */
export interface LeaderElection {
  /** This replica's identity: the value the leader record holds. */
  readonly identity: string;
  /** True while this replica leads and its lease is fresh. */
  readonly leading: boolean;
  /** The identity of the current leader as last seen (undefined when unknown or none). */
  readonly leader: string | undefined;
  /**
   * Runs `work` each time this replica becomes leader (at once when it leads now). Returns a
   * function that unregisters it (aborting a run in progress).
   */
  whileLeader(work: LeaderWork): () => void;
  /** Resolves once the first campaign finished (leading or not); throws when the backend cannot be reached. */
  start(): Promise<void>;
  /** Stops leading (handing over at once: the record is deleted) and releases everything start() took. */
  stop(): Promise<void>;
}
