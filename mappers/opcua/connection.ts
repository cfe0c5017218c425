import {
  AttributeIds,
  type DataType,
  MessageSecurityMode,
  OPCUAClient,
  SecurityPolicy,
  UserTokenType,
  coerceNodeId,
  type ClientSession,
  type ClientSubscription,
  type OPCUACertificateManager,
  type UserIdentityInfo,
} from 'node-opcua';
import type { Logger } from 'pino';
import { Backoff, type BackoffOptions } from '../../src/core/async/index.js';
import type { Clock, Timer } from '../../src/core/clock/index.js';
import { errorText } from '../../src/core/errors/index.js';
import { type ConnectionSettings, sessionLabel } from './settings.js';

/** What a device does when the shared session comes up or goes down. */
export interface ConnectionListener {
  /** The session is (again) usable: (re)create monitored items or polls. */
  up(session: ClientSession): Promise<void>;
  /** The session is gone; `reason` is shown to users. */
  down(reason: string): void;
}

export interface ConnectionDeps {
  /** Opens the client PKI (see pki.ts); a session keeps one until a certificate failure. */
  openPki(): Promise<OPCUACertificateManager>;
  clock: Clock;
  logger: Logger;
  backoff: BackoffOptions;
  /** Counts session (re)connections for the metrics. */
  onReconnect(): void;
}

/** Session timeout kedge requests: how long a server keeps a session we lost track of. */
const SESSION_TIMEOUT_MS = 30_000;

/**
 * One OPC UA session, shared (reference-counted) by every device with the same server and
 * identity. kedge, not node-opcua, is in charge of reconnection: the client is created with
 * `connectionStrategy.maxRetry: 0`, so node-opcua neither retries the first connect nor repairs a
 * broken channel (it emits `close` instead). On any loss kedge disposes of the whole client and
 * connects a new one after a capped exponential back-off, then asks each device to re-create its
 * monitored items. Two mechanisms would race (node-opcua reactivating the old session while kedge
 * opens a new one) and leave duplicate sessions on the server.
 */
export class OpcuaConnection {
  private readonly listeners = new Map<string, ConnectionListener>();
  private readonly subscriptions = new Map<number, { created: Promise<ClientSubscription>; refs: number }>();
  private readonly dataTypes = new Map<string, DataType>();
  private client: OPCUAClient | undefined;
  private current: ClientSession | undefined;
  private generation = 0;
  private readonly backoff: Backoff;
  private retryTimer: Timer | undefined;
  private closed = false;
  private lastReason = 'connecting';
  private disposing: Promise<void>[] = [];
  private pki: OPCUACertificateManager | undefined;

  constructor(
    readonly settings: ConnectionSettings,
    private readonly deps: ConnectionDeps,
  ) {
    this.backoff = new Backoff(deps.backoff);
  }

  get label(): string {
    return sessionLabel(this.settings);
  }

  get session(): ClientSession | undefined {
    return this.current;
  }

  get deviceCount(): number {
    return this.listeners.size;
  }

  /** Why the session is down (for a device added while it is). */
  get downReason(): string {
    return this.lastReason;
  }

  /** Adds a device; the first one opens the session. Resolves after the device's `up` if connected. */
  async attach(deviceId: string, listener: ConnectionListener): Promise<void> {
    this.listeners.set(deviceId, listener);
    if (this.current) {
      await this.notifyUp(deviceId, listener, this.current);
    } else if (this.retryTimer) {
      listener.down(this.lastReason);
    } else if (!this.client) {
      this.closed = false;
      void this.connect();
    }
    // else: connecting; `up` or `down` follows when the attempt ends.
  }

  /** Removes a device; the session stays open while other devices use it. */
  async detach(deviceId: string): Promise<void> {
    this.listeners.delete(deviceId);
    if (this.listeners.size === 0) await this.close();
  }

  /** The shared subscription for a publishing interval (created on first use per session). */
  subscription(session: ClientSession, publishingIntervalMs: number): Promise<ClientSubscription> {
    const entry = this.subscriptions.get(publishingIntervalMs);
    if (entry) {
      entry.refs += 1;
      return entry.created;
    }
    const created = session.createSubscription2({
      requestedPublishingInterval: publishingIntervalMs,
      // Lifetime 3x keep-alive as the specification requires; keep-alive ~10 intervals.
      requestedMaxKeepAliveCount: 10,
      requestedLifetimeCount: 60,
      maxNotificationsPerPublish: 0,
      publishingEnabled: true,
      priority: 1,
    });
    this.subscriptions.set(publishingIntervalMs, { created, refs: 1 });
    const generation = this.generation;
    created.then(
      // The server ends a subscription on its own only when something is wrong (e.g. BadTimeout
      // after missed publishes): start over, so that every device's monitored items come back.
      (sub) =>
        sub.on('status_changed', (status) =>
          this.lost(generation, `subscription on ${this.label} ended by the server (${status.name})`),
        ),
      () => this.subscriptions.delete(publishingIntervalMs),
    );
    return created;
  }

  /** Drops one user of a subscription; the last one terminates it on the server. */
  async releaseSubscription(publishingIntervalMs: number): Promise<void> {
    const entry = this.subscriptions.get(publishingIntervalMs);
    if (!entry) return;
    entry.refs -= 1;
    if (entry.refs > 0) return;
    this.subscriptions.delete(publishingIntervalMs);
    const sub = await entry.created.catch(() => undefined);
    await sub?.terminate().catch(() => undefined);
  }

  /** The built-in data type of a variable, read once (its DataType attribute) and cached. */
  async dataTypeOf(session: ClientSession, nodeId: string): Promise<DataType> {
    const known = this.dataTypes.get(nodeId);
    if (known !== undefined) return known;
    const dv = await session.read({ nodeId, attributeId: AttributeIds.DataType });
    if (!dv.statusCode.isGood()) throw Object.assign(new Error(dv.statusCode.name), { statusName: dv.statusCode.name });
    const type = await session.getBuiltInDataType(coerceNodeId(nodeId));
    this.dataTypes.set(nodeId, type);
    return type;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.retryTimer) this.deps.clock.clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.generation += 1;
    this.dispose();
    this.dropPki();
    await Promise.all(this.disposing);
  }

  private async connect(): Promise<void> {
    this.retryTimer = undefined;
    if (this.closed) return;
    const generation = ++this.generation;
    try {
      this.pki ??= await this.deps.openPki();
    } catch (err) {
      this.lost(generation, `cannot open the client certificate store: ${firstLine(errorText(err))}`);
      return;
    }
    if (generation !== this.generation) return;
    const client = this.createClient(this.pki);
    this.client = client;
    client.on('close', (err?: Error | null) =>
      this.lost(generation, `connection to ${this.label} closed${err ? `: ${firstLine(errorText(err))}` : ''}`),
    );
    client.on('connection_lost', () => this.lost(generation, `connection to ${this.label} lost`));
    try {
      await withTimeout(client.connect(this.settings.url), this.settings.timeoutMs * 2, 'connect');
      const session = await withTimeout(
        client.createSession(this.identity()),
        this.settings.timeoutMs * 2,
        'create session',
      );
      if (generation !== this.generation) {
        await client.disconnect().catch(() => undefined);
        return;
      }
      session.on('session_closed', (status) =>
        this.lost(generation, `session on ${this.label} closed by the server (${status?.name ?? 'unknown status'})`),
      );
      session.on('keepalive_failure', () =>
        this.lost(generation, `session on ${this.label} stopped answering keep-alives`),
      );
      this.current = session;
      if (this.backoff.attempts > 0) this.deps.onReconnect();
      this.backoff.reset();
      this.deps.logger.info({ server: this.label, devices: this.listeners.size }, 'OPC UA session open');
      await Promise.all([...this.listeners].map(([id, l]) => this.notifyUp(id, l, session)));
    } catch (err) {
      this.lost(generation, `cannot connect to ${this.label}: ${firstLine(errorText(err))}`);
    }
  }

  private async notifyUp(deviceId: string, listener: ConnectionListener, session: ClientSession): Promise<void> {
    try {
      await listener.up(session);
    } catch (err) {
      this.deps.logger.warn({ device: deviceId, err: errorText(err) }, 'device setup on the OPC UA session failed');
      listener.down(`setting up device on ${this.label} failed: ${firstLine(errorText(err))}`);
    }
  }

  /** Any loss, whatever node-opcua event reported it first; later events of the same client are ignored. */
  private lost(generation: number, reason: string): void {
    if (generation !== this.generation || this.closed) return;
    this.generation += 1;
    this.lastReason = reason;
    this.deps.logger.warn({ server: this.label, reason }, 'OPC UA session lost; reconnecting with back-off');
    this.dispose();
    // A fresh manager reads trusted/ again: an operator may have moved the certificate there.
    if (/certificate/i.test(reason)) this.dropPki();
    for (const l of this.listeners.values()) l.down(reason);
    const delay = this.backoff.next();
    this.retryTimer = this.deps.clock.setTimeout(() => void this.connect(), delay);
  }

  /** Closes the session (if the channel still works) and the client, in the background. */
  private dispose(): void {
    const client = this.client;
    this.client = undefined;
    this.current = undefined;
    this.subscriptions.clear();
    if (!client) return;
    // Late events of the dying client are ignored (its generation is over); kedge reconnects.
    client.removeAllListeners();
    const done = withTimeout(client.disconnect(), 3000, 'disconnect').catch(() => undefined);
    this.disposing.push(done);
    void done.then(() => {
      this.disposing = this.disposing.filter((p) => p !== done);
    });
  }

  /** Disposes the certificate manager once the clients that used it are gone. */
  private dropPki(): void {
    const pki = this.pki;
    this.pki = undefined;
    if (!pki) return;
    const done = Promise.all(this.disposing)
      .then(() => pki.dispose())
      .catch(() => undefined);
    this.disposing.push(done);
    void done.then(() => {
      this.disposing = this.disposing.filter((p) => p !== done);
    });
  }

  private createClient(certificateManager: OPCUACertificateManager): OPCUAClient {
    const s = this.settings;
    const options: Parameters<typeof OPCUAClient.create>[0] = {
      applicationName: 'kedge',
      endpointMustExist: false,
      securityMode: MessageSecurityMode[s.securityMode],
      securityPolicy: SecurityPolicy[s.securityPolicy],
      connectionStrategy: { maxRetry: 0, initialDelay: 100, maxDelay: 100 },
      clientCertificateManager: certificateManager,
      keepSessionAlive: true,
      requestedSessionTimeout: SESSION_TIMEOUT_MS,
      transportTimeout: s.timeoutMs,
      defaultTransactionTimeout: s.timeoutMs,
    };
    if (s.certificate !== undefined) options.certificateFile = s.certificate;
    if (s.privateKey !== undefined) options.privateKeyFile = s.privateKey;
    return OPCUAClient.create(options);
  }

  private identity(): UserIdentityInfo {
    if (this.settings.userName === undefined) return { type: UserTokenType.Anonymous };
    return { type: UserTokenType.UserName, userName: this.settings.userName, password: this.settings.password ?? '' };
  }
}

function firstLine(text: string): string {
  return text.split('\n')[0]!.trim();
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
