import { type KubeConfig, type KubernetesObject, ListWatch, Watch } from '@kubernetes/client-node';
import { Backoff } from '../../../core/async/index.js';
import type { StoredObject, WatchEvent } from '../types.js';

/**
 * One kind watched as an informer does it: @kubernetes/client-node's ListWatch keeps the cache,
 * re-watches from the last resourceVersion when a stream ends, relists on 410 Gone and turns the
 * relist into the events that were missed (DELETED for what is gone, ADDED for what is new,
 * MODIFIED only for a changed resourceVersion, so nothing is delivered twice). Wrapped here
 * where the library falls short (client-node 1.4.0, src/cache.ts and src/watch.ts):
 * - ListWatch never asks for bookmarks: without them a quiet kind's resourceVersion ages and
 *   every restart after a compaction costs a full relist. `allowWatchBookmarks` is added.
 * - Watch gives a stream no timeout and no keep-alive on plain HTTP: a dead connection would
 *   wait forever. `timeoutSeconds` (5-10 min, like client-go) makes the server end it, and a
 *   stream silent for longer than that plus a minute is aborted.
 * - ListWatch stops for good on any error but 410 (a refused connection, a 500): it is restarted
 *   here with exponential back-off, resuming from the last resourceVersion.
 * - ListWatch.stop() during a connect leaves the new stream running: stopping is tracked here
 *   and a stream that arrives late is aborted.
 * - ListWatch lists before its first watch and would report every object as ADDED: it is seeded
 *   with the caller's list (the caller has seen those objects) and those events are dropped.
 */
export interface KindWatchOptions {
  kc: KubeConfig;
  path: string;
  /** The objects the caller already has and the revision they were read at. */
  seed: { items: StoredObject[]; resourceVersion: string };
  /** A full list, for relists after 410 Gone. */
  list: () => Promise<{ items: StoredObject[]; resourceVersion: string }>;
  toStored: (o: KubernetesObject) => StoredObject;
  deliver: (e: WatchEvent) => void;
  onError: (err: unknown, retryInMs: number) => void;
  backoff?: { initialMs: number; maxMs: number };
}

export class KindWatch {
  private readonly watch: BookmarkingWatch;
  private readonly informer: ListWatch<KubernetesObject>;
  private stopped = false;
  private seeding = true;
  private readonly backoff: Backoff;
  private retry: NodeJS.Timeout | undefined;
  /** Set while a relist's events are delivered: the revision a DELETED it finds carries. */
  private relistedAt = '';

  constructor(private readonly o: KindWatchOptions) {
    this.backoff = new Backoff({ initialMs: 500, maxMs: 30_000, ...o.backoff });
    this.watch = new BookmarkingWatch(o.kc, () => {
      this.seeding = false;
      this.relistedAt = '';
    });
    let first = true;
    const list = async () => {
      const l = first ? o.seed : await o.list();
      first = false;
      this.relistedAt = l.resourceVersion;
      // Objects as the server sent them (client-node's type says Date where the wire has strings).
      const items = l.items as unknown as KubernetesObject[];
      return { apiVersion: 'v1', kind: 'List', metadata: { resourceVersion: l.resourceVersion }, items };
    };
    this.informer = new ListWatch(o.path, this.watch, list, false);
    this.informer.on('add', (obj) => this.emit('ADDED', obj));
    this.informer.on('update', (obj) => this.emit('MODIFIED', obj));
    this.informer.on('delete', (obj) => this.emit('DELETED', obj));
    this.informer.on('error', (err) => this.failed(err));
  }

  start(): Promise<void> {
    return this.informer.start();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.retry);
    this.watch.stop();
    void this.informer.stop();
  }

  /** Streams (re)connected since start, for tests and metrics. */
  get connects(): number {
    return this.watch.connects;
  }

  private emit(type: WatchEvent['type'], obj: KubernetesObject): void {
    if (this.stopped || this.seeding) return;
    this.backoff.reset();
    const object = this.o.toStored(obj);
    // A deletion found by a relist carries the object as last seen; it is gone as of the relist.
    if (type === 'DELETED' && this.relistedAt)
      object.metadata = { ...object.metadata, resourceVersion: this.relistedAt };
    this.o.deliver({ type, object });
  }

  private failed(err: unknown): void {
    if (this.stopped) return;
    const wait = this.backoff.next();
    this.o.onError(err, wait);
    // +-20% around the step reported, so that replicas refused together do not retry together.
    const jittered = wait * (0.8 + Math.random() * 0.4);
    this.retry = setTimeout(() => {
      if (!this.stopped) this.informer.start().catch((e: unknown) => this.failed(e));
    }, jittered);
  }
}

/** client-node's Watch with bookmarks, a server-side timeout, a silence watchdog and stop(). */
class BookmarkingWatch extends Watch {
  private current: AbortController | undefined;
  private stopped = false;
  private watchdog: NodeJS.Timeout | undefined;
  connects = 0;

  constructor(
    kc: KubeConfig,
    private readonly onWatchStart: () => void,
  ) {
    super(kc);
  }

  override async watch(
    path: string,
    queryParams: Record<string, string | number | boolean | undefined>,
    callback: (phase: string, apiObj: unknown, watchObj?: unknown) => void,
    done: (err: unknown) => void,
  ): Promise<AbortController> {
    this.onWatchStart();
    if (this.stopped) return new AbortController();
    const timeoutSeconds = 300 + Math.floor(Math.random() * 300);
    const params = { ...queryParams, allowWatchBookmarks: true, timeoutSeconds };
    let controller: AbortController | undefined;
    const arm = () => {
      clearTimeout(this.watchdog);
      this.watchdog = setTimeout(() => controller?.abort(), (timeoutSeconds + 60) * 1000);
    };
    const onEvent = (phase: string, obj: unknown, raw?: unknown) => {
      arm();
      callback(phase, obj, raw);
    };
    const onDone = (err: unknown) => {
      clearTimeout(this.watchdog);
      done(err);
    };
    controller = await super.watch(path, params, onEvent, onDone);
    this.connects++;
    arm();
    if (this.stopped) controller.abort();
    this.current = controller;
    return controller;
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.watchdog);
    this.current?.abort();
  }
}
