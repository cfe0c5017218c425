import type { Logger } from 'pino';
import type { PodStatus } from '../../../contracts/index.js';
import type { Clock, Timer } from '../../../core/clock/index.js';
import { errorText, isKedgeError } from '../../../core/errors/index.js';
import type { Pod } from '../../../model/index.js';
import type { ContainerEngine } from '../container/engine.js';
import { LABEL, containerName, specHash } from '../container/labels.js';
import { Backoff } from '../../../core/async/index.js';
import type { BackOff } from '../supervisor.js';
import { containerBody, prepareHostPaths, type ContainerBody } from './container-spec.js';
import { describeExit, podStatus, terminatedOf, type SlotView } from './status.js';

export interface PodWorkerDeps {
  engine: () => Promise<ContainerEngine>;
  node: string;
  clock: Clock;
  logger: Logger;
  backoff: BackOff;
  onStatus: (status: PodStatus) => void;
  /** Variables every container gets unless it sets them itself (the edge broker's account). */
  env?: () => Array<{ name: string; value: string }>;
}

interface Slot extends SlotView {
  body: ContainerBody;
  hash: string;
  /** Crash-loop back-off: the delay before each restart. */
  backoff: Backoff;
  /** When the container (ended or not created) is tried again. */
  retryAt?: number;
  watching?: { id: string; abort: AbortController };
}

/**
 * Keeps one Pod's containers as its spec and restartPolicy say, like kubelet's pod worker: starts
 * them, restarts them with back-off (CrashLoopBackOff, with why), replaces a container whose spec
 * changed, and adopts the containers a previous edge process left (found by their labels; the
 * restart count is a label too). Every step runs in one chain, so two never interleave.
 */
export class PodWorker {
  private slots: Slot[] = [];
  private chain: Promise<void> = Promise.resolve();
  private timer: Timer | undefined;
  private stopped = false;
  private adopted = false;
  private lastStatus = '';
  private readonly startTime: string;
  status: PodStatus | undefined;

  constructor(
    private pod: Pod,
    private readonly deps: PodWorkerDeps,
  ) {
    this.startTime = new Date(deps.clock.now()).toISOString();
    this.setSpec(pod);
  }

  get uid(): string {
    const uid = (this.pod.metadata as { uid?: unknown }).uid;
    return typeof uid === 'string' ? uid : '';
  }

  get key(): string {
    return `${this.pod.metadata.namespace ?? 'default'}/${this.pod.metadata.name}`;
  }

  /** The Pod's spec changed: containers whose spec differs are replaced. */
  update(pod: Pod): void {
    this.pod = pod;
    this.setSpec(pod);
    this.kick();
  }

  kick(): Promise<void> {
    this.chain = this.chain
      .then(() => this.sync())
      .catch((err: unknown) => {
        this.deps.logger.warn({ pod: this.key, err: errorText(err) }, 'pod not synced; trying again');
        this.retryIn(this.deps.backoff.initialMs);
      });
    return this.chain;
  }

  /** The container of `name` (the first when absent), for logs. */
  containerId(name?: string): { id?: string; names: string[] } {
    const slot = name === undefined ? this.slots[0] : this.slots.find((s) => s.name === name);
    return { ...(slot?.id ? { id: slot.id } : {}), names: this.slots.map((s) => s.name) };
  }

  /** The Pod was deleted: its containers are stopped (its grace period) and removed. */
  async remove(): Promise<void> {
    this.halt();
    await this.chain;
    const engine = await this.deps.engine();
    const grace = this.pod.spec.terminationGracePeriodSeconds ?? 30;
    // Only this Pod's (uid): a new Pod of the same name may have started its containers already.
    const mine = (await engine.list(this.labels())).filter((c) => c.labels[LABEL.podUid] === this.uid);
    await Promise.all(mine.map((c) => engine.stop(c.id, grace).then(() => engine.remove(c.id))));
  }

  /** The edge is stopping: the containers keep running for the next edge process. */
  detach(): void {
    this.halt();
  }

  private halt(): void {
    this.stopped = true;
    if (this.timer) this.deps.clock.clearTimeout(this.timer);
    this.timer = undefined;
    for (const s of this.slots) s.watching?.abort.abort();
  }

  private setSpec(pod: Pod): void {
    const old = new Map(this.slots.map((s) => [s.name, s]));
    this.slots = pod.spec.containers.map((c) => {
      const body = containerBody(pod, c, this.deps.env?.() ?? []);
      const prev = old.get(c.name);
      const slot: Slot = prev ?? {
        name: c.name,
        image: c.image,
        restarts: 0,
        final: false,
        body,
        hash: '',
        backoff: new Backoff(this.deps.backoff),
      };
      slot.body = body;
      slot.image = c.image;
      slot.hash = specHash(body);
      if (body.memoryBytes) slot.memoryBytes = body.memoryBytes;
      else delete slot.memoryBytes;
      return slot;
    });
    for (const [name, s] of old) if (!this.slots.some((n) => n.name === name)) this.orphans.push(s);
  }

  /** Slots of containers no longer in the spec, removed at the next sync. */
  private orphans: Slot[] = [];

  private async sync(): Promise<void> {
    if (this.stopped) return;
    let engine: ContainerEngine;
    try {
      engine = await this.deps.engine();
      if (!this.adopted) await this.adopt(engine);
    } catch (err) {
      for (const s of this.slots)
        if (!s.info?.running) s.waiting = { reason: 'ContainerRuntimeUnavailable', message: errorText(err) };
      this.report();
      this.retryIn(this.deps.backoff.maxMs);
      return;
    }
    for (const o of this.orphans.splice(0)) if (o.id) await engine.remove(o.id);
    prepareHostPaths(this.pod);
    for (const slot of this.slots) if (!this.stopped) await this.syncSlot(engine, slot);
    this.report();
    const next = Math.min(...this.slots.map((s) => s.retryAt ?? Infinity));
    if (Number.isFinite(next)) this.retryIn(Math.max(0, next - this.deps.clock.now()));
  }

  private async adopt(engine: ContainerEngine): Promise<void> {
    const found = await engine.list(this.labels());
    const kept = new Set<string>();
    for (const slot of this.slots) {
      const mine = found
        .filter((c) => c.labels[LABEL.container] === slot.name && c.labels[LABEL.podUid] === this.uid)
        .sort((a, b) => restartsOf(b.labels) - restartsOf(a.labels));
      const best = mine[0];
      if (!best) continue;
      slot.id = best.id;
      slot.info = best;
      slot.restarts = restartsOf(best.labels);
      kept.add(best.id);
      this.deps.logger.info({ pod: this.key, container: slot.name, id: best.id.slice(0, 12) }, 'container adopted');
    }
    for (const c of found) if (!kept.has(c.id)) await engine.remove(c.id);
    this.adopted = true;
  }

  private async syncSlot(engine: ContainerEngine, slot: Slot): Promise<void> {
    const now = this.deps.clock.now();
    if (slot.id) {
      slot.info = await engine.inspect(slot.id);
      if (!slot.info) slot.id = undefined;
    }
    const info = slot.info;
    if (info && info.labels[LABEL.hash] !== slot.hash) {
      this.deps.logger.info({ pod: this.key, container: slot.name }, 'container spec changed: replacing it');
      await engine.stop(info.id, this.pod.spec.terminationGracePeriodSeconds ?? 30);
      await this.replace(engine, slot, slot.restarts + 1);
      return;
    }
    if (info?.running) {
      slot.waiting = undefined;
      slot.retryAt = undefined;
      slot.final = false;
      if (info.startedAt && now - Date.parse(info.startedAt) > this.deps.backoff.resetAfterMs) slot.backoff.reset();
      this.watch(engine, slot);
      return;
    }
    if (info && info.state === 'created' && !info.startedAt) {
      await this.startOrFail(engine, slot, info.id); // created just before a crash of the edge
      return;
    }
    if (info) return this.ended(engine, slot, info, now);
    if (slot.retryAt !== undefined && now < slot.retryAt) return;
    await this.replace(engine, slot, slot.restarts);
  }

  /** The container ended: keep it ended (restartPolicy) or restart it after the back-off. */
  private async ended(
    engine: ContainerEngine,
    slot: Slot,
    info: NonNullable<Slot['info']>,
    now: number,
  ): Promise<void> {
    const term = terminatedOf(info, slot.memoryBytes);
    const policy = this.pod.spec.restartPolicy ?? 'Always';
    if (policy === 'Never' || (policy === 'OnFailure' && info.exitCode === 0)) {
      slot.final = true;
      slot.waiting = undefined;
      slot.retryAt = undefined;
      return;
    }
    slot.final = false;
    if (slot.retryAt === undefined) {
      const ran = info.startedAt && info.finishedAt ? Date.parse(info.finishedAt) - Date.parse(info.startedAt) : 0;
      if (ran > this.deps.backoff.resetAfterMs) slot.backoff.reset();
      const delayMs = slot.backoff.next();
      slot.retryAt = now + delayMs;
      this.deps.logger.warn(
        { pod: this.key, container: slot.name, exitCode: info.exitCode, delayMs },
        `container ${slot.name} of pod ${this.key} ${describeExit(term)}; restarting in ${delayMs} ms`,
      );
      slot.waiting = {
        reason: 'CrashLoopBackOff',
        message: `back-off ${Math.round(delayMs / 1000)}s restarting failed container ${slot.name} of pod ${this.key}: ${describeExit(term)}`,
      };
    }
    if (now < slot.retryAt) return;
    slot.lastTerminated = term;
    await this.replace(engine, slot, slot.restarts + 1);
  }

  /** A new container for the slot (`restarts` is its count), the old one removed. */
  private async replace(engine: ContainerEngine, slot: Slot, restarts: number): Promise<void> {
    const old = slot.id;
    slot.id = undefined;
    slot.info = undefined;
    if (old) await engine.remove(old);
    let id: string;
    try {
      id = await engine.create({
        ...slot.body,
        name: containerName(
          this.deps.node,
          this.pod.metadata.namespace ?? 'default',
          this.pod.metadata.name,
          slot.name,
          String(restarts),
        ),
        labels: {
          ...this.labels(),
          [LABEL.podUid]: this.uid,
          [LABEL.container]: slot.name,
          [LABEL.hash]: slot.hash,
          [LABEL.restarts]: String(restarts),
        },
      });
    } catch (err) {
      this.failed(
        slot,
        isKedgeError(err) && err.code === 'KEDGE_EDGED_IMAGE' ? 'ErrImagePull' : 'CreateContainerError',
        err,
      );
      return;
    }
    slot.restarts = restarts;
    await this.startOrFail(engine, slot, id);
  }

  private async startOrFail(engine: ContainerEngine, slot: Slot, id: string): Promise<void> {
    slot.id = id;
    try {
      await engine.start(id);
    } catch (err) {
      await engine.remove(id).catch(() => undefined);
      slot.id = undefined;
      slot.info = undefined;
      this.failed(slot, 'RunContainerError', err);
      return;
    }
    slot.info = await engine.inspect(id);
    slot.waiting = undefined;
    slot.retryAt = undefined;
    if (slot.info?.running) this.watch(engine, slot);
    else if (slot.info) await this.ended(engine, slot, slot.info, this.deps.clock.now());
  }

  private failed(slot: Slot, reason: string, err: unknown): void {
    const message = errorText(err);
    slot.waiting = { reason, message };
    slot.retryAt = this.deps.clock.now() + slot.backoff.next();
    this.deps.logger.warn(
      { pod: this.key, container: slot.name, reason },
      `container ${slot.name} of pod ${this.key} not started: ${message}`,
    );
  }

  /** Syncs again when the running container stops. */
  private watch(engine: ContainerEngine, slot: Slot): void {
    const id = slot.id!;
    if (slot.watching?.id === id) return;
    slot.watching?.abort.abort();
    const abort = new AbortController();
    const w = { id, abort };
    slot.watching = w;
    const again = (ms: number) => {
      if (slot.watching === w) slot.watching = undefined;
      if (abort.signal.aborted || slot.id !== id) return;
      if (ms === 0) void this.kick();
      else this.retryIn(ms);
    };
    engine.wait(id, abort.signal).then(
      () => again(0),
      () => again(this.deps.backoff.initialMs),
    );
  }

  private retryIn(ms: number): void {
    if (this.stopped) return;
    if (this.timer) this.deps.clock.clearTimeout(this.timer);
    this.timer = this.deps.clock.setTimeout(() => {
      this.timer = undefined;
      void this.kick();
    }, ms);
  }

  private report(): void {
    const status = podStatus(this.slots, this.startTime);
    const text = JSON.stringify(status);
    if (text === this.lastStatus) return;
    this.lastStatus = text;
    this.status = status;
    this.deps.onStatus(status);
  }

  private labels(): Record<string, string> {
    return { [LABEL.node]: this.deps.node, [LABEL.kind]: 'pod', [LABEL.owner]: this.key };
  }
}

function restartsOf(labels: Record<string, string>): number {
  const n = Number(labels[LABEL.restarts]);
  return Number.isInteger(n) && n >= 0 ? n : 0;
}
