import type { Socket } from 'node:net';

type WriteArgs = Parameters<Socket['write']>;

/**
 * The embedded broker's subscriber sockets, and deliveries that reach them only after a commit.
 *
 * Why: a message the cloud claimed as handled (durably, so that the edge's resend after a crash is
 * not published twice) must reach the consumers as close to that commit as possible, because a
 * crash in between loses it. aedes writes each message to each subscriber in an immediate of its
 * own; between the first and the last of them a kill -9 would lose the rest. So the sockets'
 * writes are held while the broker handles the messages, the commit runs, and then each socket
 * gets what was held in one write (cork/uncork: one writev system call): a crash before the
 * commit delivered nothing (the resend publishes it), after the write everything.
 *
 * One delivery at a time: another's writes must not be held back behind this one's commit.
 */
export class SubscriberSockets {
  private readonly sockets = new Set<Socket>();
  private turn: Promise<void> = Promise.resolve();

  add(socket: Socket): void {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
  }

  /** Runs `handle` (the broker's publishes) with the writes held, then `commit`, then writes. */
  deliverAfter(handle: () => Promise<unknown>, commit: () => unknown): Promise<void> {
    const run = this.turn.then(async () => {
      await this.drained();
      const held = [...this.sockets].map((s) => new HeldWrites(s));
      try {
        await handle();
        await commit();
      } finally {
        for (const h of held) h.release();
      }
    });
    this.turn = run.catch(() => undefined);
    return run;
  }

  /** Every socket has passed what it was given to the kernel (a slow consumer is waited for). */
  private drained(): Promise<unknown> {
    return Promise.all(
      [...this.sockets]
        .filter((s) => s.writableNeedDrain && !s.destroyed)
        .map(
          (s) =>
            new Promise<void>((resolve) => {
              const done = () => {
                s.off('drain', done);
                s.off('close', done);
                resolve();
              };
              s.once('drain', done);
              s.once('close', done);
            }),
        ),
    );
  }
}

/** One socket's writes kept aside (and reported written) until `release`. */
class HeldWrites {
  private readonly held: WriteArgs[] = [];
  private readonly own: PropertyDescriptor | undefined;

  constructor(private readonly socket: Socket) {
    this.own = Object.getOwnPropertyDescriptor(socket, 'write');
    // An own property over the prototype's write; mqtt-packet only ever calls `stream.write`.
    socket.write = ((...args: WriteArgs) => {
      this.held.push(args);
      return true;
    }) as Socket['write'];
  }

  release(): void {
    const s = this.socket;
    if (this.own) Object.defineProperty(s, 'write', this.own);
    else delete (s as Partial<Socket>).write;
    if (this.held.length === 0) return;
    if (s.destroyed) {
      for (const args of this.held) {
        const cb = args.find((a) => typeof a === 'function') as ((err?: Error) => void) | undefined;
        cb?.(new Error('subscriber connection closed'));
      }
      return;
    }
    s.cork();
    for (const args of this.held) s.write(...args);
    s.uncork();
  }
}
