import type { Socket } from 'node:net';

type WriteArgs = Parameters<Socket['write']>;

/**
 * Holds back what the broker writes to one client until the messages that client sent before are
 * committed. aedes reads nothing more from a client while a publish it is handling waits, so
 * holding the publish until the group commit (the old way) stalled every mapper for up to a
 * commit interval and queued its readings in the socket. With the gate, aedes handles publishes
 * as they come and writes their PUBACKs at once; the gate keeps those bytes (and anything written
 * after them, so the client sees its packets in order) until the commit covering every message
 * received before the write. A PUBACK still never leaves before its message is in SQLite.
 *
 * Each held message gets a ticket; commits are in order and cover every ticket issued before
 * them, so a write made after ticket k may leave once ticket k is durable.
 */
export class AckGate {
  private issued = 0;
  private durableUpTo = 0;
  private readonly held: Array<{ needs: number; args: WriteArgs }> = [];
  private readonly rawWrite: Socket['write'];
  private failed = false;
  private flushQueued = false;

  constructor(private readonly socket: Socket) {
    this.rawWrite = socket.write.bind(socket) as Socket['write'];
    // An own-property override on our socket: aedes and mqtt-packet only call `conn.write`.
    socket.write = ((...args: WriteArgs) => this.write(args)) as Socket['write'];
  }

  /** Bytes written and not yet released. */
  get heldWrites(): number {
    return this.held.length;
  }

  /** A message from this client whose acknowledgement must wait for `durable`. */
  hold(durable: Promise<void>): void {
    const ticket = ++this.issued;
    durable.then(
      () => this.release(ticket),
      () => this.fail(),
    );
  }

  private write(args: WriteArgs): boolean {
    if (this.failed) return false;
    if (this.held.length === 0 && this.issued <= this.durableUpTo) return this.rawWrite(...args);
    this.held.push({ needs: this.issued, args });
    return true;
  }

  private release(ticket: number): void {
    if (ticket > this.durableUpTo) this.durableUpTo = ticket;
    // A commit resolves all its tickets in one go: write once, after the last of them.
    if (this.flushQueued) return;
    this.flushQueued = true;
    queueMicrotask(() => this.flush());
  }

  private flush(): void {
    this.flushQueued = false;
    if (this.failed) return;
    let i = 0;
    // Corked, everything a commit releases leaves in one writev instead of a write per piece.
    this.socket.cork();
    while (i < this.held.length && this.held[i]!.needs <= this.durableUpTo) this.rawWrite(...this.held[i++]!.args);
    this.socket.uncork();
    if (i > 0) this.held.splice(0, i);
  }

  /** The commit failed: nothing held may be sent. Closing makes the client send again. */
  private fail(): void {
    this.failed = true;
    this.held.length = 0;
    this.socket.destroy();
  }
}
