import type { Readable } from 'node:stream';
import type { Logger } from 'pino';
import type { PodStatus, PodView } from '../../../contracts/index.js';
import type { Clock } from '../../../core/clock/index.js';
import { errorText } from '../../../core/errors/index.js';
import type { Pod } from '../../../model/index.js';
import type { ContainerEngine, LogOptions } from '../container/engine.js';
import { LABEL } from '../container/labels.js';
import { edgedErrors } from '../errors.js';
import type { BackOff } from '../supervisor.js';
import { PodWorker } from './pod-worker.js';

/** Kubelet's crash-loop back-off: 10 s doubling to 5 min, reset after 10 min of running. */
export const POD_BACKOFF: BackOff = { initialMs: 10_000, maxMs: 300_000, resetAfterMs: 600_000 };

export interface PodManagerDeps {
  engine: () => Promise<ContainerEngine>;
  node: string;
  clock: Clock;
  logger: Logger;
  backoff?: BackOff;
  onStatus: (pod: Pod, status: PodStatus) => void;
  /** Variables every container gets unless it sets them itself (the edge broker's account). */
  env?: () => Array<{ name: string; value: string }>;
}

const keyOf = (p: Pod) => `${p.metadata.namespace ?? 'default'}/${p.metadata.name}`;
const uidOf = (p: Pod) => {
  const uid = (p.metadata as { uid?: unknown }).uid;
  return typeof uid === 'string' ? uid : '';
};

/**
 * The Pods bound to this node, one PodWorker each. Whatever source the Pods come from (the
 * cloud's store or, in Kubernetes mode, the API server through the cloud), Edged hands the
 * whole set here; containers of Pods no longer in it are removed, also those a previous edge
 * process left for Pods deleted meanwhile.
 */
export class PodManager {
  private readonly workers = new Map<string, PodWorker>();
  private pruned = false;

  constructor(private readonly deps: PodManagerDeps) {}

  set(pods: Pod[]): void {
    const next = new Map(pods.map((p) => [keyOf(p), p]));
    for (const [key, w] of this.workers) {
      const p = next.get(key);
      if (p && uidOf(p) === w.uid) continue;
      this.workers.delete(key);
      void w
        .remove()
        .catch((err: unknown) =>
          this.deps.logger.warn({ pod: key, err: errorText(err) }, 'pod containers not removed'),
        );
    }
    for (const [key, p] of next) {
      const w = this.workers.get(key);
      if (w) w.update(p);
      else {
        const worker = new PodWorker(p, {
          engine: this.deps.engine,
          node: this.deps.node,
          clock: this.deps.clock,
          logger: this.deps.logger,
          backoff: this.deps.backoff ?? POD_BACKOFF,
          onStatus: (status) => this.deps.onStatus(p, status),
          ...(this.deps.env ? { env: this.deps.env } : {}),
        });
        this.workers.set(key, worker);
        void worker.kick();
      }
    }
    void this.prune();
  }

  /** The edge stops: containers keep running (the next start adopts them). */
  detach(): void {
    for (const w of this.workers.values()) w.detach();
    this.workers.clear();
  }

  views(): PodView[] {
    return [...this.workers.entries()]
      .filter(([, w]) => w.status)
      .map(([key, w]) => {
        const [namespace, name] = key.split('/') as [string, string];
        return { namespace, name, uid: w.uid, status: w.status! };
      });
  }

  async logs(namespace: string, name: string, container: string | undefined, options: LogOptions): Promise<Readable> {
    const w = this.workers.get(`${namespace}/${name}`);
    if (!w) throw edgedErrors.create('KEDGE_EDGED_NO_POD', `pod ${namespace}/${name} is not on node ${this.deps.node}`);
    const { id, names } = w.containerId(container);
    if (!id)
      throw edgedErrors.create(
        'KEDGE_EDGED_NO_CONTAINER',
        container && !names.includes(container)
          ? `pod ${namespace}/${name} has no container ${container} (it has ${names.join(', ')})`
          : `container ${container ?? names[0]} of pod ${namespace}/${name} has not been created yet`,
      );
    return (await this.deps.engine()).logs(id, options);
  }

  /** Removes containers of Pods not on this node any more (deleted while the edge was down). */
  private async prune(): Promise<void> {
    if (this.pruned) return;
    try {
      const engine = await this.deps.engine();
      const all = await engine.list({ [LABEL.node]: this.deps.node, [LABEL.kind]: 'pod' });
      this.pruned = true;
      for (const c of all) {
        const w = this.workers.get(c.labels[LABEL.owner] ?? '');
        if (w && w.uid === c.labels[LABEL.podUid]) continue;
        if (w) continue; // a new Pod of that name: its worker removes the old one's containers
        this.deps.logger.info(
          { pod: c.labels[LABEL.owner], id: c.id.slice(0, 12) },
          'removing the container of a pod no longer on this node',
        );
        await engine.remove(c.id);
      }
    } catch (err) {
      this.deps.logger.debug({ err: errorText(err) }, 'pod containers not pruned yet');
    }
  }
}
