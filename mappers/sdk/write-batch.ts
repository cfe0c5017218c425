/** The part of a socket (net.Socket, any Writable) a batch needs. */
export interface Corkable {
  cork(): void;
  uncork(): void;
}

/**
 * Holds a stream's writes for `windowMs`, then sends them in one system call. A mapper publishes
 * one MQTT message per device per poll; written one by one, the write system calls (on loopback
 * they also run the receiving side's network stack) were the largest single CPU cost of the
 * mapper (bench/RESULTS.md "Modbus"). mqtt.js corks the socket for each packet itself, and corks
 * nest, so a batch spans every packet written inside the window. Costs at most `windowMs` of
 * extra delay per message.
 */
export class WriteBatch {
  private held: Corkable | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly windowMs: number) {}

  /** Called before a write: starts a batch on `stream` unless one is open. */
  hold(stream: Corkable | undefined): void {
    if (this.windowMs <= 0 || !stream || this.held === stream) return;
    this.flush(); // a new stream (after a reconnect): the old one's batch goes out now
    stream.cork();
    this.held = stream;
    this.timer = setTimeout(() => this.flush(), this.windowMs);
  }

  /** Sends what the batch holds now. */
  flush(): void {
    const stream = this.held;
    if (!stream) return;
    this.held = undefined;
    clearTimeout(this.timer);
    this.timer = undefined;
    stream.uncork();
  }
}
