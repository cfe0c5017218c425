import { MAPPER_USER, mapperPassword } from '../eventbus/index.js';

/**
 * What a mapper started by hand uses to publish on an edge's embedded broker (src/edge/README.md,
 * "Broker access"): the user kedge-mapper and the password kept in the edge's data dir. Clients
 * without credentials may only subscribe by default.
 */
export function mapperLogin(dataDir: string): { username: string; password: string } {
  return { username: MAPPER_USER, password: mapperPassword(dataDir) };
}

/** `mqtt://kedge-mapper:<password>@host:port` for an edge broker URL and its data dir. */
export function mapperUrl(brokerUrl: string, dataDir: string): string {
  const u = new URL(brokerUrl);
  const login = mapperLogin(dataDir);
  u.username = encodeURIComponent(login.username);
  u.password = encodeURIComponent(login.password);
  return u.toString();
}
