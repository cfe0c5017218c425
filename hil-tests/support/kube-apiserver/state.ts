/**
 * The double's etcd: objects per resource type, one global revision counter (resourceVersion),
 * and the history of changes with the object before each one, so that a list can be served
 * exactly at an older revision and a watch can resume from one. `compact()` drops history, after
 * which older revisions answer 410 Gone, as after etcd's compaction.
 */
// biome-ignore lint/suspicious/noExplicitAny: Kubernetes objects are untyped JSON; the double reads their fields freely.
export type Obj = Record<string, any>;
export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface Change {
  rv: number;
  type: string;
  event: EventType;
  object: Obj;
  /** The object before this change (undefined for ADDED). */
  before: Obj | undefined;
}

export interface WatchSink {
  type: string;
  onChange(change: Change): void;
}

export class ExpiredError extends Error {
  constructor(
    readonly requested: number,
    readonly oldest: number,
  ) {
    super(`too old resource version: ${requested} (${oldest})`);
  }
}

const keyOf = (o: Obj): string => `${o.metadata?.namespace ?? ''}/${o.metadata?.name}`;

export class ClusterState {
  /** Starts high, as a real cluster's does: a client must not take "0" or "1" for granted. */
  rv = 1000;
  compactedRv = 1000;
  private readonly objects = new Map<string, Map<string, Obj>>();
  private readonly history: Change[] = [];
  private readonly sinks = new Set<WatchSink>();

  get(type: string, ns: string, name: string): Obj | undefined {
    return this.objects.get(type)?.get(`${ns}/${name}`);
  }

  all(type: string): Obj[] {
    return [...(this.objects.get(type)?.values() ?? [])];
  }

  /** Writes one change under the next revision and tells the watchers. */
  commit(type: string, event: EventType, object: Obj): Obj {
    const rv = ++this.rv;
    const stored: Obj = { ...object, metadata: { ...object.metadata, resourceVersion: String(rv) } };
    let byKey = this.objects.get(type);
    if (!byKey) this.objects.set(type, (byKey = new Map()));
    const key = keyOf(stored);
    const before = byKey.get(key);
    if (event === 'DELETED') byKey.delete(key);
    else byKey.set(key, stored);
    const change: Change = { rv, type, event, object: stored, before };
    this.history.push(change);
    for (const s of this.sinks) if (s.type === type) s.onChange(change);
    return stored;
  }

  /** Objects of `type` as they were at revision `rv`. */
  at(type: string, rv: number): Obj[] {
    if (rv < this.compactedRv) throw new ExpiredError(rv, this.compactedRv);
    const state = new Map(this.objects.get(type) ?? []);
    for (let i = this.history.length - 1; i >= 0 && this.history[i]!.rv > rv; i--) {
      const c = this.history[i]!;
      if (c.type !== type) continue;
      if (c.before) state.set(keyOf(c.before), c.before);
      else state.delete(keyOf(c.object));
    }
    return [...state.values()];
  }

  /** Changes of `type` after `rv`, oldest first. */
  since(type: string, rv: number): Change[] {
    if (rv < this.compactedRv) throw new ExpiredError(rv, this.compactedRv);
    return this.history.filter((c) => c.rv > rv && c.type === type);
  }

  /** Forgets the history up to now: older revisions are 410 Gone from here on. */
  compact(): void {
    this.compactedRv = this.rv;
    this.history.length = 0;
  }

  dropType(type: string): void {
    this.objects.delete(type);
  }

  subscribe(sink: WatchSink): () => void {
    this.sinks.add(sink);
    return () => this.sinks.delete(sink);
  }
}
