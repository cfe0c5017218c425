import type { WatchEvent } from './types.js';

interface Watcher {
  kind: string;
  handler: (event: WatchEvent) => void;
  queue: WatchEvent[];
  scheduled: boolean;
  stopped: boolean;
}

/**
 * Fans committed changes out to watchers. Each watcher has its own queue drained in a microtask:
 * a handler that writes to the store never sees events out of order or re-entrantly, and one
 * that throws is counted without disturbing the others.
 */
export class WatcherSet {
  private readonly watchers = new Set<Watcher>();
  handlerErrors = 0;

  constructor(private readonly onError: (kind: string, err: unknown) => void = () => {}) {}

  add(kind: string, handler: (event: WatchEvent) => void, backlog: WatchEvent[]): { stop(): void } {
    const w: Watcher = { kind, handler, queue: [], scheduled: false, stopped: false };
    this.watchers.add(w);
    for (const e of backlog) this.enqueue(w, e);
    return {
      stop: () => {
        w.stopped = true;
        w.queue.length = 0;
        this.watchers.delete(w);
      },
    };
  }

  emit(kind: string, event: WatchEvent): void {
    for (const w of this.watchers) if (w.kind === kind) this.enqueue(w, event);
  }

  clear(): void {
    for (const w of this.watchers) w.stopped = true;
    this.watchers.clear();
  }

  private enqueue(w: Watcher, event: WatchEvent): void {
    w.queue.push(event);
    if (w.scheduled) return;
    w.scheduled = true;
    queueMicrotask(() => this.drain(w));
  }

  private drain(w: Watcher): void {
    w.scheduled = false;
    while (!w.stopped && w.queue.length > 0) {
      const event = w.queue.shift()!;
      try {
        w.handler(event);
      } catch (err) {
        this.handlerErrors++;
        this.onError(w.kind, err);
      }
    }
  }
}
