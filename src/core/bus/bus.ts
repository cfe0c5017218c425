import type { Logger } from 'pino';
import { errorText } from '../errors/index.js';
import { busErrors } from './errors.js';

/**
 * Channel name -> payload type. Each process declares its map in `src/contracts/` as an interface
 * without an index signature (the constraint MQTT.js's TypedEmitter uses), so a channel that is not
 * declared, or a payload of another shape, does not compile.
 */
export type ChannelMap<C> = Record<keyof C, unknown>;
/** Request name -> request and response types; closed the same way. */
export type RequestMap<R> = Record<keyof R, { request: unknown; response: unknown }>;

/** Who is subscribing or serving: a module's name and group (KubeEdge's module/group addressing). */
export interface Endpoint {
  name: string;
  group: string;
}

type Handler<P> = (payload: P) => void | Promise<void>;
interface Subscription {
  endpoint: Endpoint;
  handler: Handler<unknown>;
}

export interface BusOptions<C = Record<string, unknown>> {
  logger: Logger;
  /** Default request timeout in milliseconds. */
  requestTimeoutMs?: number;
  /**
   * Channels a handler must not publish on while the bus delivers (the pipeline's input): what
   * enters there comes from a process boundary. A handler that re-entered one fed its own output
   * back in (the twin re-published a write's read-back the mapper had sent already: smoothing
   * windows counted it twice). Such a publish is refused with KEDGE_BUS_REENTRY.
   */
  boundaryChannels?: ReadonlyArray<keyof C>;
}

/**
 * The typed in-process bus between modules. Delivery is synchronous and in order (a reading
 * crosses it on the hot path); a handler that throws or rejects is logged and counted, and never
 * disturbs the sender or the other subscribers.
 */
export class Bus<C extends ChannelMap<C>, R extends RequestMap<R> = Record<never, never>> {
  private readonly channels = new Map<keyof C, Subscription[]>();
  private readonly servers = new Map<keyof R, { endpoint: Endpoint; fn: (req: unknown) => unknown }>();
  private handlerErrors = 0;
  /** How many deliveries are in progress (nested when a handler publishes). */
  private depth = 0;
  private readonly boundary: ReadonlySet<keyof C>;

  constructor(private readonly options: BusOptions<C>) {
    this.boundary = new Set(options.boundaryChannels ?? []);
  }

  get failedDeliveries(): number {
    return this.handlerErrors;
  }

  /** Subscribes `endpoint` to `channel`; returns the function that unsubscribes. */
  subscribe<K extends keyof C>(channel: K, endpoint: Endpoint, handler: Handler<C[K]>): () => void {
    const sub: Subscription = { endpoint, handler: handler as Handler<unknown> };
    const list = this.channels.get(channel) ?? [];
    this.channels.set(channel, [...list, sub]);
    return () => {
      const current = this.channels.get(channel) ?? [];
      this.channels.set(
        channel,
        current.filter((s) => s !== sub),
      );
    };
  }

  /** Whether anyone listens on `channel`: a sender can skip building a payload nobody reads. */
  hasSubscribers<K extends keyof C>(channel: K): boolean {
    return (this.channels.get(channel)?.length ?? 0) > 0;
  }

  /** Delivers to every subscriber of `channel`; returns how many received it. */
  publish<K extends keyof C>(channel: K, payload: C[K]): number {
    return this.deliver(channel, payload, () => true);
  }

  /** Delivers only to the subscriber that is module `name`. */
  sendToModule<K extends keyof C>(name: string, channel: K, payload: C[K]): number {
    return this.deliver(channel, payload, (e) => e.name === name);
  }

  /** Delivers to the subscribers whose module is in `group`. */
  sendToGroup<K extends keyof C>(group: string, channel: K, payload: C[K]): number {
    return this.deliver(channel, payload, (e) => e.group === group);
  }

  /** Serves request `name`; exactly one module may serve a name. */
  serve<K extends keyof R>(
    name: K,
    endpoint: Endpoint,
    fn: (req: R[K]['request']) => R[K]['response'] | Promise<R[K]['response']>,
  ): () => void {
    const existing = this.servers.get(name);
    if (existing) {
      throw busErrors.create(
        'KEDGE_BUS_DUPLICATE_HANDLER',
        `request "${String(name)}" is already served by module ${existing.endpoint.name}`,
      );
    }
    const entry = { endpoint, fn: fn as (req: unknown) => unknown };
    this.servers.set(name, entry);
    return () => {
      if (this.servers.get(name) === entry) this.servers.delete(name);
    };
  }

  /** Sends a request and resolves with the response, or rejects with KEDGE_BUS_TIMEOUT / _NO_HANDLER. */
  request<K extends keyof R>(
    name: K,
    req: R[K]['request'],
    timeoutMs = this.options.requestTimeoutMs ?? 5000,
  ): Promise<R[K]['response']> {
    const server = this.servers.get(name);
    if (!server)
      return Promise.reject(busErrors.create('KEDGE_BUS_NO_HANDLER', `no module serves request "${String(name)}"`));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(
          busErrors.create(
            'KEDGE_BUS_TIMEOUT',
            `request "${String(name)}" to module ${server.endpoint.name} timed out after ${timeoutMs} ms`,
          ),
        );
      }, timeoutMs);
      Promise.resolve()
        .then(() => server.fn(req))
        .then(
          (res) => resolve(res as R[K]['response']),
          (err: unknown) => reject(err),
        )
        .finally(() => clearTimeout(timer));
    });
  }

  private deliver<K extends keyof C>(channel: K, payload: C[K], accept: (e: Endpoint) => boolean): number {
    if (this.depth > 0 && this.boundary.has(channel))
      throw busErrors.create(
        'KEDGE_BUS_REENTRY',
        `a handler published on "${String(channel)}", which only a process boundary may enter`,
      );
    const list = this.channels.get(channel);
    if (!list) return 0;
    let delivered = 0;
    // No try/finally around the loop: every handler's throw is caught below, so `depth` is
    // always restored (and the hot path keeps its plain loop).
    this.depth++;
    for (const sub of list) {
      if (!accept(sub.endpoint)) continue;
      delivered++;
      try {
        const result = sub.handler(payload);
        if (result instanceof Promise) result.catch((err: unknown) => this.handlerFailed(channel, sub.endpoint, err));
      } catch (err) {
        this.handlerFailed(channel, sub.endpoint, err);
      }
    }
    this.depth--;
    return delivered;
  }

  private handlerFailed(channel: keyof C, endpoint: Endpoint, err: unknown): void {
    this.handlerErrors++;
    this.options.logger.error(
      { channel: String(channel), module: endpoint.name, err: errorText(err) },
      'bus handler failed',
    );
  }
}
