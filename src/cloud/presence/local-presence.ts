import type { NodePresence } from './types.js';

/** One cloud process: the claims live in memory and the process is always healthy. */
export class LocalPresence implements NodePresence {
  readonly healthy = true;
  private readonly holders = new Map<string, string>();
  private readonly handlers = new Set<(node: string, holder: string | undefined) => void>();

  constructor(readonly identity = 'sole') {}

  onHealth(): () => void {
    return () => {};
  }

  async claim(node: string): Promise<void> {
    if (this.holders.get(node) === this.identity) return;
    this.holders.set(node, this.identity);
    this.emit(node, this.identity);
  }

  async release(node: string): Promise<void> {
    if (this.holders.get(node) !== this.identity) return;
    this.holders.delete(node);
    this.emit(node, undefined);
  }

  async holderOf(node: string): Promise<string | undefined> {
    return this.holders.get(node);
  }

  async watch(handler: (node: string, holder: string | undefined) => void): Promise<{ stop(): void }> {
    this.handlers.add(handler);
    for (const [node, holder] of this.holders) handler(node, holder);
    return { stop: () => this.handlers.delete(handler) };
  }

  private announced = '';

  async announce(value: string): Promise<void> {
    this.announced = value;
  }

  async replicas(): Promise<Map<string, string>> {
    return new Map([[this.identity, this.announced]]);
  }

  async start(): Promise<void> {}

  async stop(): Promise<void> {
    this.holders.clear();
    this.handlers.clear();
  }

  private emit(node: string, holder: string | undefined): void {
    for (const h of [...this.handlers]) queueMicrotask(() => h(node, holder));
  }
}
