import { existsSync } from 'node:fs';
import { edgedErrors } from '../errors.js';
import { DockerEngine } from './docker-engine.js';
import type { ContainerEngine } from './engine.js';

/** Where engines put their Docker-API socket, in the order tried when none is configured. */
export const DEFAULT_SOCKETS = ['/run/podman/podman.sock', '/var/run/docker.sock'];

/**
 * The engine socket to use: the configured path, else `$CONTAINER_HOST` / `$DOCKER_HOST` when they
 * name a unix socket, else the first default that exists. Undefined when there is none.
 */
export function findEngineSocket(
  configured: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  if (configured) return configured.replace(/^unix:\/\//, '');
  for (const v of [env['CONTAINER_HOST'], env['DOCKER_HOST']])
    if (v?.startsWith('unix://') && existsSync(v.slice(7))) return v.slice(7);
  return DEFAULT_SOCKETS.find((s) => existsSync(s));
}

/**
 * The engine on the configured or found socket, connected on first use and kept; a failed
 * connection (no socket, engine not answering) rejects and is tried again on the next call.
 */
export function lazyEngine(configured: string | undefined): () => Promise<ContainerEngine> {
  let connecting: Promise<ContainerEngine> | undefined;
  return () => {
    connecting ??= (async () => {
      const socket = findEngineSocket(configured);
      if (!socket)
        throw edgedErrors.create(
          'KEDGE_EDGED_NO_ENGINE',
          `no container engine socket on this node (${DEFAULT_SOCKETS.join(', ')}; $CONTAINER_HOST, $DOCKER_HOST unset)`,
        );
      return DockerEngine.connect(socket);
    })();
    connecting.catch(() => (connecting = undefined));
    return connecting;
  };
}
