import { existsSync } from 'node:fs';

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
