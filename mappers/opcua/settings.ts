import { createHash } from 'node:crypto';
import type { DeviceInstance } from '../../src/model/index.js';
import { opcuaErrors } from './errors.js';
import type { OpcuaDeviceConfig } from '../../src/model/index.js';

/** What one session is opened with; devices with equal settings share the session. */
export interface ConnectionSettings {
  url: string;
  securityPolicy: NonNullable<OpcuaDeviceConfig['securityPolicy']>;
  securityMode: NonNullable<OpcuaDeviceConfig['securityMode']>;
  userName?: string;
  password?: string;
  certificate?: string;
  privateKey?: string;
  timeoutMs: number;
  subscribe: boolean;
  /** From configData; undefined: the driver's default. */
  acceptUnknownServerCertificates?: boolean;
}

/** Where a property lives: its nodeID, else a browse path resolved on each session (browse-path.ts). */
export type NodeBinding = { property: string; nodeId: string } | { property: string; browsePath: string };

export const DEFAULT_TIMEOUT_MS = 5000;

/** Reads a validated device's configData (kedge validate has checked the schema already). */
export function settingsOf(device: DeviceInstance): ConnectionSettings {
  const c = device.protocolConfig as Partial<OpcuaDeviceConfig>;
  if (typeof c.url !== 'string' || !c.url.startsWith('opc.tcp://')) {
    throw opcuaErrors.create(
      'KEDGE_OPCUA_INVALID_CONFIG',
      `device ${device.id}: protocol.configData.url must be opc.tcp://host:port, got ${JSON.stringify(c.url)}`,
    );
  }
  const settings: ConnectionSettings = {
    url: c.url,
    securityPolicy: c.securityPolicy ?? 'None',
    securityMode: c.securityMode ?? 'None',
    timeoutMs: c.timeout ?? DEFAULT_TIMEOUT_MS,
    subscribe: c.subscribe ?? true,
  };
  if ((settings.securityMode === 'None') !== (settings.securityPolicy === 'None')) {
    throw opcuaErrors.create(
      'KEDGE_OPCUA_INVALID_CONFIG',
      `device ${device.id}: securityMode ${settings.securityMode} and securityPolicy ${settings.securityPolicy} do not go together`,
    );
  }
  if (c.userName !== undefined) settings.userName = c.userName;
  if (c.password !== undefined) settings.password = c.password;
  if (c.certificate !== undefined) settings.certificate = c.certificate;
  if (c.privateKey !== undefined) settings.privateKey = c.privateKey;
  if (c.acceptUnknownServerCertificates !== undefined)
    settings.acceptUnknownServerCertificates = c.acceptUnknownServerCertificates;
  return settings;
}

/**
 * The session key: everything that changes what the server sees. `subscribe` and the timeout are
 * not part of it (devices that poll and devices that subscribe can share a session). Hashed so
 * that the password never appears in a key that might be logged.
 */
export function sessionKey(s: ConnectionSettings): string {
  // The trust policy too: a device that accepts only trusted certificates never shares a session opened by one that accepts any.
  const identity = JSON.stringify([
    s.url,
    s.securityPolicy,
    s.securityMode,
    s.userName ?? '',
    s.password ?? '',
    s.certificate ?? '',
    s.privateKey ?? '',
    s.acceptUnknownServerCertificates ?? null,
  ]);
  return createHash('sha256').update(identity).digest('hex').slice(0, 16);
}

/** A label for logs and reasons: the URL and the security, never the credentials. */
export function sessionLabel(s: ConnectionSettings): string {
  const security = s.securityMode === 'None' ? 'no security' : `${s.securityMode}/${s.securityPolicy}`;
  return `${s.url} (${security}${s.userName ? `, user ${s.userName}` : ''})`;
}

/** Each property's nodeID (preferred) or browseName; a property with neither is an error naming it. */
export function nodeBindingsOf(device: DeviceInstance): NodeBinding[] {
  return device.properties.map((p) => {
    const nodeId = p.visitor['nodeID'];
    if (typeof nodeId === 'string' && nodeId.length > 0) return { property: p.name, nodeId };
    const browsePath = p.visitor['browseName'];
    if (typeof browsePath === 'string' && browsePath.length > 0) return { property: p.name, browsePath };
    throw opcuaErrors.create(
      'KEDGE_OPCUA_INVALID_VISITOR',
      `device ${device.id} property ${p.name}: visitors.configData needs nodeID (e.g. ns=2;s=Temperature) or browseName (a path below Objects)`,
    );
  });
}
