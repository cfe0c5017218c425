import { createServer, type Server, type Socket } from 'node:net';
import { rm } from 'node:fs/promises';
import type { Level } from '../backend.js';
import { gpioErrors } from '../errors.js';
import { MemoryLevels } from '../level-backend.js';
import { isLevel, jsonLines, type SimReply } from './protocol.js';

export interface GpioSimServerOptions {
  socketPath: string;
  /** Pins wired together (output -> input), like jumper wires. */
  jumpers?: Array<[number, number]>;
  /** Starting physical levels. */
  initial?: Record<number, Level>;
}

/**
 * The simulated pins of `kedge sim gpio`, served on a unix socket so a mapper in another process
 * (KEDGE_GPIO_BACKEND=sim, KEDGE_GPIO_SIM=<socket>) and `kedge sim gpio --toggle` share them.
 */
export class GpioSimServer {
  readonly levels = new MemoryLevels();
  private server: Server | undefined;
  private readonly clients = new Set<Socket>();
  private unsubscribe: (() => void) | undefined;
  badMessages = 0;

  constructor(private readonly o: GpioSimServerOptions) {
    for (const [pin, level] of Object.entries(o.initial ?? {})) this.levels.drive(Number(pin), level);
    for (const [a, b] of o.jumpers ?? []) this.levels.jumper(a, b);
  }

  async start(): Promise<void> {
    await rm(this.o.socketPath, { force: true });
    const server = createServer((socket) => this.accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err) =>
        reject(
          gpioErrors.create('KEDGE_GPIO_SIM', `cannot listen on ${this.o.socketPath}: ${err.message}`, { cause: err }),
        ),
      );
      server.listen(this.o.socketPath, () => resolve());
    });
    this.server = server;
    this.unsubscribe = this.levels.subscribe((pin, level) => this.broadcast(pin, level));
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    for (const c of this.clients) c.destroy();
    this.clients.clear();
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    await rm(this.o.socketPath, { force: true });
  }

  set(pin: number, level: Level): void {
    this.levels.drive(pin, level);
  }

  toggle(pin: number): Level {
    const next = (1 - this.levels.level(pin)) as Level;
    this.levels.drive(pin, next);
    return next;
  }

  private accept(socket: Socket): void {
    this.clients.add(socket);
    socket.on('close', () => this.clients.delete(socket));
    socket.on('error', () => socket.destroy());
    socket.on(
      'data',
      jsonLines(
        (m) => this.handle(socket, m),
        () => this.badMessages++,
      ),
    );
  }

  private handle(socket: Socket, m: unknown): void {
    const msg = m as { id?: unknown; op?: unknown; pin?: unknown; level?: unknown };
    const id = typeof msg.id === 'number' ? msg.id : -1;
    const reply = (r: SimReply): void => void socket.write(`${JSON.stringify(r)}\n`);
    if (typeof msg.pin !== 'number' || !Number.isInteger(msg.pin) || msg.pin < 0) {
      this.badMessages++;
      return reply({ id, ok: false, error: `pin must be a non-negative integer, got ${JSON.stringify(msg.pin)}` });
    }
    if (msg.op === 'get') return reply({ id, ok: true, level: this.levels.level(msg.pin) });
    if (msg.op === 'toggle') return reply({ id, ok: true, level: this.toggle(msg.pin) });
    if (msg.op === 'set' && isLevel(msg.level)) {
      this.set(msg.pin, msg.level);
      return reply({ id, ok: true, level: msg.level });
    }
    this.badMessages++;
    reply({ id, ok: false, error: `unknown request ${JSON.stringify(m)}` });
  }

  private broadcast(pin: number, level: Level): void {
    const line = `${JSON.stringify({ event: 'level', pin, level })}\n`;
    for (const c of this.clients) c.write(line);
  }
}
