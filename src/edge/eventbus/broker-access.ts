import { timingSafeEqual } from 'node:crypto';
import { Counter, type Registry } from 'prom-client';
import type { PeerSocket } from './peer-process.js';
import { topicMatches } from './topics.js';

/** A broker account: its password and the topic filters it may publish to and subscribe to. */
export interface BrokerUser {
  username: string;
  password: string;
  publish: string[];
  subscribe: string[];
}

/** What a client without credentials may do: read only (the default), everything, or nothing. */
export type AnonymousAccess = 'all' | 'read' | 'none';

/** What the edge node's configuration makes of the broker's access (edge.mqtt.users, edge.mqtt.anonymous). */
export interface BrokerAccessConfig {
  users: BrokerUser[];
  anonymous: AnonymousAccess;
}

const ANONYMOUS_PUBLISH =
  'a client without credentials may only subscribe (edge.mqtt.anonymous: read); connect with an account of edge.mqtt.users, ' +
  "or as kedge-mapper with the mappers' password (<data-dir>/mqtt/kedge-mapper.password), or set edge.mqtt.anonymous: all";

/** The account Edged gives the mappers and Pods it starts (its password kept in the data dir: mapper-password.ts). */
export const MAPPER_USER = 'kedge-mapper';

/**
 * Who may use the embedded broker (docs: src/edge/README.md, "Broker access"): accounts with a
 * password and per-topic ACLs (aedes' authenticate / authorizePublish / authorizeSubscribe
 * hooks), and a policy for clients without credentials. Refusals are counted and reported.
 */
export class BrokerAccess {
  private readonly users = new Map<string, BrokerUser>();
  /** client id -> the account it authenticated as (absent: anonymous). */
  private readonly clients = new Map<string, BrokerUser>();
  private readonly refused: Counter<'kind'> | undefined;

  constructor(
    users: BrokerUser[],
    private readonly anonymous: AnonymousAccess,
    registry: Registry | undefined,
    private readonly report: (what: string, detail: Record<string, unknown>) => void,
    /**
     * Which workload Edged runs holds the other end of a client's connection (peer-process.ts):
     * such a client without credentials gets the mappers' account.
     */
    private readonly workloadOf?: (socket: PeerSocket) => Promise<string | undefined>,
    private readonly note?: (what: string, detail: Record<string, unknown>) => void,
  ) {
    for (const u of users) this.users.set(u.username, u);
    this.refused = registry
      ? new Counter({
          name: 'kedge_eventbus_refused_total',
          help: 'Edge broker refusals: connect (bad credentials), publish and subscribe (outside the ACL)',
          labelNames: ['kind'],
          registers: [registry],
        })
      : undefined;
  }

  /** Only while a broker account or a stricter anonymous policy exists is anything checked. */
  get enforcing(): boolean {
    return this.users.size > 0 || this.anonymous !== 'all';
  }

  async authenticate(
    clientId: string,
    username: string | undefined,
    password: Buffer | undefined,
    socket: PeerSocket = {},
  ): Promise<boolean> {
    if (username === undefined || username === '') {
      if (this.anonymous !== 'all' && (await this.fromWorkload(clientId, socket))) return true;
      if (this.anonymous !== 'none') return true;
      return this.refuse('connect', { client: clientId }, 'no credentials, and anonymous clients are refused');
    }
    const user = this.users.get(username);
    if (!user || !password || !sameSecret(password, user.password))
      return this.refuse('connect', { client: clientId, username }, 'wrong user name or password');
    this.clients.set(clientId, user);
    return true;
  }

  /**
   * A container Edged started (a KubeEdge mapper in a Pod, which has no setting for credentials)
   * publishes as the mappers' account; any other client without credentials stays anonymous.
   */
  private async fromWorkload(clientId: string, socket: PeerSocket): Promise<boolean> {
    const mappers = this.users.get(MAPPER_USER);
    if (!this.workloadOf || !mappers) return false;
    const workload = await this.workloadOf(socket).catch(() => undefined);
    if (workload === undefined) return false;
    this.clients.set(clientId, mappers);
    this.note?.(
      `edge broker: client without credentials is ${workload}, run by Edged: it publishes as ${MAPPER_USER}`,
      {
        client: clientId,
      },
    );
    return true;
  }

  canPublish(clientId: string, topic: string): boolean {
    const user = this.clients.get(clientId);
    const ok = user ? user.publish.some((f) => topicMatches(f, topic)) : this.anonymous === 'all';
    if (ok) return true;
    if (user) return this.refuse('publish', { client: clientId, username: user.username, topic }, 'outside its ACL');
    return this.refuse('publish', { client: clientId, topic }, ANONYMOUS_PUBLISH);
  }

  canSubscribe(clientId: string, filter: string): boolean {
    const user = this.clients.get(clientId);
    const ok = user ? user.subscribe.some((f) => covers(f, filter)) : this.anonymous !== 'none';
    return ok || this.refuse('subscribe', { client: clientId, username: user?.username, filter }, 'outside its ACL');
  }

  forget(clientId: string): void {
    this.clients.delete(clientId);
  }

  private refuse(kind: string, detail: Record<string, unknown>, why: string): false {
    this.refused?.inc({ kind });
    this.report(`edge broker refused a ${kind}: ${why}`, { ...detail, code: 'KEDGE_EVENTBUS_REFUSED' });
    return false;
  }
}

function sameSecret(given: Buffer, expected: string): boolean {
  const want = Buffer.from(expected);
  return given.length === want.length && timingSafeEqual(given, want);
}

/** Whether subscribing to `filter` stays inside `allowed` (its wildcards no wider than the allowed ones). */
export function covers(allowed: string, filter: string): boolean {
  const a = allowed.split('/');
  const f = filter.split('/');
  for (let i = 0; i < f.length; i++) {
    if (a[i] === '#') return true;
    if (i >= a.length) return false;
    if (f[i] === '#') return false;
    if (a[i] !== '+' && a[i] !== f[i]) return false;
  }
  return a.length === f.length;
}
