import { createConnection, type Socket } from 'node:net';
import type { Level } from '../backend.js';
import { gpioErrors } from '../errors.js';
import { LevelBackend, type LevelSource } from '../level-backend.js';
import { isLevel, jsonLines, type SimReply, type SimRequest } from './protocol.js';

type Body = { op: 'get'; pin: number } | { op: 'set'; pin: number; level: Level } | { op: 'toggle'; pin: number };

/** A client of `kedge sim gpio`'s socket: requests with replies, plus level events. */
export class SimClient implements LevelSource {
  private seq = 0;
  private readonly waiting = new Map<number, { resolve: (l: Level) => void; reject: (e: Error) => void }>();
  private readonly listeners = new Set<(pin: number, level: Level) => void>();

  private constructor(
    private readonly socket: Socket,
    readonly path: string,
  ) {
    socket.on(
      'data',
      jsonLines(
        (m) => this.message(m),
        () => undefined,
      ),
    );
    socket.on('close', () => this.failAll(`the GPIO simulator at ${path} closed the connection`));
    socket.on('error', () => undefined);
  }

  static connect(path: string): Promise<SimClient> {
    return new Promise((resolve, reject) => {
      const socket = createConnection(path);
      socket.once('connect', () => resolve(new SimClient(socket, path)));
      socket.once('error', (err) =>
        reject(
          gpioErrors.create('KEDGE_GPIO_SIM', `cannot connect to the GPIO simulator at ${path}: ${err.message}`, {
            cause: err,
          }),
        ),
      );
    });
  }

  get(pin: number): Promise<Level> {
    return this.request({ op: 'get', pin });
  }

  async set(pin: number, level: Level): Promise<void> {
    await this.request({ op: 'set', pin, level });
  }

  toggle(pin: number): Promise<Level> {
    return this.request({ op: 'toggle', pin });
  }

  subscribe(listener: (pin: number, level: Level) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async dispose(): Promise<void> {
    this.listeners.clear();
    await new Promise<void>((resolve) => {
      if (this.socket.destroyed) return resolve();
      this.socket.once('close', () => resolve());
      this.socket.end();
    });
  }

  private request(body: Body): Promise<Level> {
    const id = ++this.seq;
    const message = { id, ...body } as SimRequest;
    return new Promise<Level>((resolve, reject) => {
      if (this.socket.destroyed)
        return reject(gpioErrors.create('KEDGE_GPIO_SIM', `the GPIO simulator at ${this.path} is not connected`));
      this.waiting.set(id, { resolve, reject });
      this.socket.write(`${JSON.stringify(message)}\n`);
    });
  }

  private message(m: unknown): void {
    const msg = m as Partial<SimReply> & { event?: string; pin?: number; level?: unknown };
    if (msg.event === 'level' && typeof msg.pin === 'number' && isLevel(msg.level)) {
      for (const l of [...this.listeners]) l(msg.pin, msg.level);
      return;
    }
    const w = typeof msg.id === 'number' ? this.waiting.get(msg.id) : undefined;
    if (!w) return;
    this.waiting.delete(msg.id!);
    if (msg.ok === true && isLevel(msg.level)) w.resolve(msg.level);
    else
      w.reject(
        gpioErrors.create('KEDGE_GPIO_SIM', `GPIO simulator: ${(msg as { error?: string }).error ?? 'bad reply'}`),
      );
  }

  private failAll(why: string): void {
    for (const w of this.waiting.values()) w.reject(gpioErrors.create('KEDGE_GPIO_SIM', why));
    this.waiting.clear();
  }
}

/** The driver's sim backend when KEDGE_GPIO_SIM names a running `kedge sim gpio`. */
export async function connectSimBackend(path: string): Promise<LevelBackend> {
  return new LevelBackend('sim', await SimClient.connect(path));
}
