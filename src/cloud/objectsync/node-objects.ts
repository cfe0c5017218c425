import { KeyedChain } from '../../core/async/index.js';
import type { LinkStateStore, StoredObject } from '../store/index.js';

/** The sync token of an object: changes with its spec (not its status), and when it is re-created. */
export function syncToken(o: StoredObject): string {
  return `${o.metadata.uid ?? ''}:${o.metadata.generation ?? 0}`;
}

/** The node an object is bound to (`spec.nodeName`: a Device's, a Pod's), when it names one. */
export function nodeOf(o: StoredObject): string | undefined {
  const node = (o.spec as { nodeName?: unknown } | undefined)?.nodeName;
  return typeof node === 'string' && node !== '' ? node : undefined;
}

export interface NodeObjectsOptions {
  linkState: LinkStateStore;
  /** The ObjectSync keys (`<type>/<ns>/<name>`) of the kinds this controller sends (ObjectSync holds every controller's). */
  owns: (key: string) => boolean;
  /**
   * Sends `node` what differs from `sent` (key -> token of what it holds or was sent) and records
   * in `sent` what it sent or deleted.
   */
  sync: (node: string, sent: Map<string, string>) => void;
  /** A sync failed (ObjectSync unreadable): the node is synced again when it connects again. */
  failed: (node: string, err: unknown) => void;
}

/**
 * What a controller has sent each node whose connection this replica holds (KubeEdge's
 * ObjectSync, seen from one controller): on connect, what the node acknowledged, wherever it was
 * connected before (nothing when it came with a fresh store: CloudHub forgot its
 * acknowledgements before link.connected); then what was sent since. Syncs of one node run one
 * at a time, in order; nodes held by another replica are not synced here.
 */
export class NodeObjects {
  private readonly connected = new Set<string>();
  private readonly sent = new Map<string, Map<string, string>>();
  private readonly chain = new KeyedChain();

  constructor(private readonly options: NodeObjectsOptions) {}

  /** True while this replica holds the node's connection. */
  has(node: string): boolean {
    return this.connected.has(node);
  }

  connectedNode(node: string): void {
    this.connected.add(node);
    this.sent.delete(node);
    this.reconcile(node);
  }

  disconnectedNode(node: string): void {
    this.connected.delete(node);
    this.sent.delete(node);
  }

  /** Syncs `node` when this replica holds its connection, after the syncs queued before. */
  reconcile(node: string): void {
    if (!this.connected.has(node)) return;
    this.chain.run(node, () => this.syncNode(node)).catch((err: unknown) => this.options.failed(node, err));
  }

  /** Syncs no more nodes; resolves when the syncs under way ended. */
  async stop(): Promise<void> {
    this.connected.clear();
    await this.chain.idle();
  }

  private async syncNode(node: string): Promise<void> {
    if (!this.connected.has(node)) return;
    let sent = this.sent.get(node);
    if (!sent) {
      const acked = await this.options.linkState.ackedObjects(node);
      if (!this.connected.has(node)) return;
      sent = new Map([...acked].filter(([key]) => this.options.owns(key)));
      this.sent.set(node, sent);
    }
    this.options.sync(node, sent);
  }
}
