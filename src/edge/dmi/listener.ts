import { mkdir, rm } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { dirname } from 'node:path';
import type * as Grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { Dmi } from '../../contracts/dmi/index.js';
import { errorText } from '../../core/errors/index.js';
import { closeServer, listenPath } from '../../core/net/index.js';
import { dmiErrors } from './errors.js';

/**
 * The edge's DMI socket. It listens with a plain net server and loads gRPC (about 20 MB of RSS)
 * only when the first mapper connects, or when `warm()` is called because registered mappers are
 * known; from then on every connection is handed to the gRPC server (grpc-js connection injector).
 */
export class DmiListener {
  private server: Server | undefined;
  private grpc: { server: Grpc.Server; injector: { injectConnection(s: Socket): void } } | undefined;
  private loading: Promise<void> | undefined;
  private readonly sockets = new Set<Socket>();

  constructor(
    private readonly options: {
      path: string;
      logger: Logger;
      load: () => Promise<Dmi>;
      /** Registers the DeviceManagerService handlers on the gRPC server. */
      serve: (dmi: Dmi, server: Grpc.Server) => Promise<void>;
    },
  ) {}

  get loaded(): boolean {
    return this.grpc !== undefined;
  }

  async start(): Promise<void> {
    const { path } = this.options;
    // sockaddr_un holds 107 bytes of path on Linux; a longer one cannot be listened on.
    if (Buffer.byteLength(path) > 107)
      throw dmiErrors.create('KEDGE_DMI_LISTEN', `${path} is longer than the 107 bytes a unix socket path may have`);
    try {
      await mkdir(dirname(path), { recursive: true });
      // A socket file left by a process that died is in the way (KubeEdge removes it too).
      await rm(path, { force: true });
    } catch (err) {
      throw dmiErrors.create('KEDGE_DMI_LISTEN', `cannot prepare ${path}: ${errorText(err)}`, { cause: err });
    }
    const server = createServer((socket) => this.accept(socket));
    await listenPath(server, path, (err, where) =>
      dmiErrors.create('KEDGE_DMI_LISTEN', `cannot listen on ${where}: ${err.message}`, { cause: err }),
    );
    this.server = server;
  }

  /** Loads gRPC now (registered mappers are known: the edge is about to call them). */
  warm(): Promise<void> {
    this.loading ??= this.options
      .load()
      .then(async (dmi) => {
        const server = new dmi.grpc.Server();
        await this.options.serve(dmi, server);
        this.grpc = { server, injector: server.createConnectionInjector(dmi.grpc.ServerCredentials.createInsecure()) };
      })
      .catch((err: unknown) => {
        this.loading = undefined;
        throw err;
      });
    return this.loading;
  }

  private accept(socket: Socket): void {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    if (this.grpc) return this.grpc.injector.injectConnection(socket);
    // Bytes that arrive while gRPC loads stay in the socket's buffer until it is handed over.
    socket.pause();
    this.warm().then(
      () => {
        if (socket.destroyed) return;
        this.grpc!.injector.injectConnection(socket);
        socket.resume();
      },
      (err: unknown) => {
        this.options.logger.error({ err: errorText(err) }, 'DMI: gRPC could not be loaded; connection closed');
        socket.destroy();
      },
    );
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    // Connections first: net.Server.close() waits for every open connection, and a mapper keeps
    // its connection open (its calls would still reach this stopped edge).
    const closed = server ? closeServer(server) : Promise.resolve();
    this.grpc?.server.forceShutdown();
    this.grpc = undefined;
    this.loading = undefined;
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    await closed;
    await rm(this.options.path, { force: true });
  }
}
