import type { ServiceCallResponse, ServiceCallResultContent } from '../../contracts/index.js';
import type { Clock, Timer } from '../../core/clock/index.js';
import { KedgeError } from '../../core/errors/index.js';
import { cloudhubErrors } from './errors.js';

interface Pending {
  node: string;
  /** The connection the call was sent on: only its closing fails the call. */
  owner: object;
  timer: Timer;
  resolve: (res: ServiceCallResponse) => void;
  reject: (err: KedgeError) => void;
}

export type CallOutcome = 'ok' | 'edge_error' | 'timeout' | 'link_lost' | 'too_many' | 'not_connected' | 'too_large';

/**
 * ServiceBus calls sent to edge nodes and not answered yet, matched by msg_id. Nothing here is
 * persisted or resent: a call ends with the edge's answer, its timeout, or the loss of the
 * connection it went out on, whichever comes first. At most `maxPerNode` wait per node, so a
 * node that stops answering cannot pile up requests (and memory) in the cloud.
 */
export class PendingCalls {
  private readonly calls = new Map<string, Pending>();
  private readonly perNode = new Map<string, number>();

  constructor(
    private readonly clock: Clock,
    private readonly maxPerNode: number,
    private readonly done: (outcome: CallOutcome) => void = () => undefined,
  ) {}

  count(node?: string): number {
    return node === undefined ? this.calls.size : (this.perNode.get(node) ?? 0);
  }

  /** Throws KEDGE_CLOUDHUB_TOO_MANY_CALLS (at once) when the node has `maxPerNode` calls waiting. */
  open(node: string, id: string, owner: object, timeoutMs: number, what: string): Promise<ServiceCallResponse> {
    const waiting = this.count(node);
    if (waiting >= this.maxPerNode) {
      this.done('too_many');
      throw cloudhubErrors.create(
        'KEDGE_CLOUDHUB_TOO_MANY_CALLS',
        `node ${node} has ${waiting} ServiceBus calls waiting (at most ${this.maxPerNode}); ${what} not sent`,
      );
    }
    return new Promise((resolve, reject) => {
      const timer = this.clock.setTimeout(() => {
        this.fail(
          id,
          'timeout',
          cloudhubErrors.create(
            'KEDGE_CLOUDHUB_CALL_TIMEOUT',
            `node ${node} did not answer ${what} within ${timeoutMs} ms`,
          ),
        );
      }, timeoutMs);
      this.calls.set(id, { node, owner, timer, resolve, reject });
      this.perNode.set(node, waiting + 1);
    });
  }

  /**
   * The node answered call `id`. Returns false when no such call waits for this node (it timed
   * out already, or another node names it): the answer is dropped.
   */
  settle(node: string, id: string, result: ServiceCallResultContent): boolean {
    const call = this.calls.get(id);
    if (!call || call.node !== node) return false;
    if (!result.error) {
      this.finish(id, call, 'ok');
      call.resolve({ status: result.status, headers: result.headers, body: result.body });
      return true;
    }
    const { code, message, hint } = result.error;
    this.finish(id, call, 'edge_error');
    // The edge's own code (e.g. KEDGE_SERVICEBUS_FORBIDDEN) and status reach the caller unchanged.
    call.reject(
      new KedgeError(code, `node ${node}: ${message}`, {
        ...(hint ? { hint } : {}),
        status: result.status,
        detail: { status: result.status, node },
      }),
    );
    return true;
  }

  /** Fails call `id` (e.g. its frame could not be written). */
  fail(id: string, outcome: CallOutcome, err: KedgeError): void {
    const call = this.calls.get(id);
    if (!call) return;
    this.finish(id, call, outcome);
    call.reject(err);
  }

  /** The connection `owner` is gone: its calls can never be answered. */
  failOwner(owner: object, reason: string): void {
    for (const [id, call] of [...this.calls]) {
      if (call.owner !== owner) continue;
      this.fail(
        id,
        'link_lost',
        cloudhubErrors.create(
          'KEDGE_CLOUDHUB_LINK_LOST',
          `the connection of node ${call.node} closed before it answered (${reason})`,
        ),
      );
    }
  }

  failAll(reason: string): void {
    for (const owner of new Set([...this.calls.values()].map((c) => c.owner))) this.failOwner(owner, reason);
  }

  private finish(id: string, call: Pending, outcome: CallOutcome): void {
    this.clock.clearTimeout(call.timer);
    this.calls.delete(id);
    const left = (this.perNode.get(call.node) ?? 1) - 1;
    if (left > 0) this.perNode.set(call.node, left);
    else this.perNode.delete(call.node);
    this.done(outcome);
  }
}
