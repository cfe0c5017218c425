import type { PortEvents, PortLink, PortOpener, PortSettings } from '../port.js';

/** An in-memory serial port for driver tests: open failures, data from the device, unplug. */
export class FakePorts {
  readonly opened: PortSettings[] = [];
  readonly written: string[] = [];
  /** When set, opening fails with this message. */
  failOpen: string | undefined;
  private events: PortEvents | undefined;
  /** Answers each written command (request-mode devices); undefined = silent. */
  responder: ((command: string) => string | undefined) | undefined;

  readonly opener: PortOpener = async (settings, events): Promise<PortLink> => {
    if (this.failOpen) throw new Error(this.failOpen);
    this.opened.push(settings);
    this.events = events;
    return {
      write: async (data) => {
        const text = data.toString('latin1');
        this.written.push(text);
        const answer = this.responder?.(text);
        if (answer !== undefined) queueMicrotask(() => this.events?.data(Buffer.from(answer, 'latin1')));
      },
      close: async () => {
        this.events = undefined;
      },
    };
  };

  get isOpen(): boolean {
    return this.events !== undefined;
  }

  send(text: string): void {
    this.events?.data(Buffer.from(text, 'latin1'));
  }

  unplug(reason = 'bad file descriptor'): void {
    const events = this.events;
    this.events = undefined;
    events?.closed(reason);
  }
}

/** Lets promise callbacks (open, write) run. */
export function flush(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
