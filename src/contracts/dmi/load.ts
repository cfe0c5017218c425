import { join } from 'node:path';
import type * as Grpc from '@grpc/grpc-js';
import { packageRoot } from '../../core/paths/index.js';

/** The DMI proto file kedge ships (same wire format as KubeEdge's api.proto). */
export function dmiProtoPath(): string {
  return join(packageRoot(), 'proto', 'kubeedge', 'dmi', 'v1beta1', 'api.proto');
}

export interface Dmi {
  grpc: typeof Grpc;
  /** Served by the edge node. */
  manager: Grpc.ServiceClientConstructor;
  /** Served by each mapper. */
  mapper: Grpc.ServiceClientConstructor;
}

let loaded: Promise<Dmi> | undefined;

/**
 * Loads @grpc/grpc-js and the DMI proto, once per process, on first use: with protobufjs about 20 MB of
 * RSS (bench/RESULTS.md "DMI"), which an edge node without DMI mappers and a mapper that speaks
 * MQTT never pay.
 */
export function loadDmi(): Promise<Dmi> {
  loaded ??= (async () => {
    const [grpc, loader] = await Promise.all([import('@grpc/grpc-js'), import('@grpc/proto-loader')]);
    const definition = loader.loadSync(dmiProtoPath(), {
      keepCase: true,
      longs: Number,
      enums: String,
      defaults: true,
      oneofs: true,
    });
    const pkg = grpc.loadPackageDefinition(definition) as unknown as {
      v1beta1: {
        DeviceManagerService: Grpc.ServiceClientConstructor;
        DeviceMapperService: Grpc.ServiceClientConstructor;
      };
    };
    return { grpc, manager: pkg.v1beta1.DeviceManagerService, mapper: pkg.v1beta1.DeviceMapperService };
  })();
  return loaded;
}

/** grpc-js's address of a unix socket path. */
export function unixTarget(path: string): string {
  return `unix:${path}`;
}
