import {
  AttributeIds,
  BrowseDirection,
  DataType,
  NodeClass,
  NodeClassMask,
  coerceNodeId,
  type ClientSession,
  type DataValue,
  type ReferenceDescription,
} from 'node-opcua';
import type { Logger } from 'pino';
import type { Clock } from '../../src/core/clock/index.js';
import type { PropertyType } from '../../src/model/index.js';
import { OpcuaConnection } from './connection.js';
import { opcuaErrors } from './errors.js';
import { openClientPki } from './pki.js';
import { DEFAULT_TIMEOUT_MS, sessionKey, type ConnectionSettings } from './settings.js';

/** What to browse: a server (as a Device's configData names it) and a node (default: the Objects folder). */
export interface BrowseParams {
  url: string;
  nodeId?: string;
  securityPolicy?: ConnectionSettings['securityPolicy'];
  securityMode?: ConnectionSettings['securityMode'];
  userName?: string;
  password?: string;
  acceptUnknownServerCertificates?: boolean;
}

/** One child of the browsed node, with what a DeviceModel property needs for a variable. */
export interface BrowsedNode {
  nodeId: string;
  /** `<namespace index>:<name>`, as UaExpert shows it. */
  browseName: string;
  displayName: string;
  nodeClass: string;
  /** Objects and folders may be opened further. */
  hasChildren: boolean;
  /** Variables: the OPC UA data type name (Double, Int32...). */
  dataType?: string;
  /** Variables: the DeviceModel property type it maps to; undefined when none fits (arrays, structures). */
  propertyType?: PropertyType;
  /** Variables: whether the CurrentWrite bit of its user access level is set. */
  writable?: boolean;
  /** Variables: the value now, scalars only (for the engineer to recognise the tag). */
  value?: string | number | boolean | null;
  description?: string;
}

export interface BrowseAnswer {
  url: string;
  nodeId: string;
  nodes: BrowsedNode[];
  /** More children than MAX_CHILDREN: the rest is left out. */
  truncated: boolean;
}

const OBJECTS_FOLDER = 'i=85';
const MAX_CHILDREN = 2000;
const IDLE_CLOSE_MS = 60_000;

const PROPERTY_TYPE: Partial<Record<DataType, PropertyType>> = {
  [DataType.Boolean]: 'BOOLEAN',
  [DataType.SByte]: 'INT',
  [DataType.Byte]: 'INT',
  [DataType.Int16]: 'INT',
  [DataType.UInt16]: 'INT',
  [DataType.Int32]: 'INT',
  [DataType.UInt32]: 'INT',
  [DataType.Int64]: 'INT',
  [DataType.UInt64]: 'INT',
  [DataType.Float]: 'FLOAT',
  [DataType.Double]: 'DOUBLE',
  [DataType.String]: 'STRING',
  [DataType.LocalizedText]: 'STRING',
  [DataType.DateTime]: 'STRING',
  [DataType.ByteString]: 'BYTES',
};

/**
 * Browses OPC UA servers for the tag browser (`opcua.browse` on the edge, docs/api.md): one
 * session per server and identity (the driver's OpcuaConnection: its PKI, security and timeouts),
 * kept while browsing goes on and closed after a minute without a request.
 */
export class OpcuaBrowser {
  private readonly sessions = new Map<
    string,
    { connection: OpcuaConnection; ready: Promise<ClientSession>; used: number }
  >();
  private readonly sweep: NodeJS.Timeout;

  constructor(private readonly deps: { dataDir: string; logger: Logger; clock: Clock }) {
    this.sweep = setInterval(() => void this.closeIdle(), 10_000);
    this.sweep.unref();
  }

  async browse(params: BrowseParams): Promise<BrowseAnswer> {
    const settings = settingsOf(params);
    const nodeId = params.nodeId?.trim() || OBJECTS_FOLDER;
    try {
      coerceNodeId(nodeId);
    } catch {
      throw opcuaErrors.create(
        'KEDGE_OPCUA_INVALID_CONFIG',
        `nodeId ${JSON.stringify(nodeId)} is not an OPC UA node id (e.g. ns=2;s=Demo or i=85)`,
      );
    }
    const session = await this.session(settings);
    const refs = await children(session, nodeId);
    const nodes = refs.slice(0, MAX_CHILDREN).map(describe);
    await this.describeVariables(session, nodes);
    return { url: settings.url, nodeId, nodes, truncated: refs.length > MAX_CHILDREN };
  }

  async close(): Promise<void> {
    clearInterval(this.sweep);
    await Promise.all([...this.sessions.values()].map((s) => s.connection.close()));
    this.sessions.clear();
  }

  private session(settings: ConnectionSettings): Promise<ClientSession> {
    const key = sessionKey(settings);
    const have = this.sessions.get(key);
    if (have) {
      have.used = this.deps.clock.now();
      return have.ready;
    }
    const connection = new OpcuaConnection(settings, {
      openPki: () => openClientPki(this.deps.dataDir, settings.acceptUnknownServerCertificates ?? true),
      clock: this.deps.clock,
      logger: this.deps.logger,
      // One attempt: the engineer is waiting and sees the reason (a wrong URL, a refused certificate).
      backoff: { initialMs: 3_600_000, maxMs: 3_600_000 },
      onReconnect: () => undefined,
    });
    const ready = new Promise<ClientSession>((resolve, reject) => {
      void connection.attach('browser', {
        up: async (s) => resolve(s),
        down: (reason) => {
          this.sessions.delete(key);
          void connection.close();
          reject(opcuaErrors.create('KEDGE_OPCUA_CONNECT', reason));
        },
      });
    });
    this.sessions.set(key, { connection, ready, used: this.deps.clock.now() });
    return ready;
  }

  private async closeIdle(): Promise<void> {
    const now = this.deps.clock.now();
    for (const [key, s] of this.sessions) {
      if (now - s.used < IDLE_CLOSE_MS) continue;
      this.sessions.delete(key);
      await s.connection.close().catch(() => undefined);
    }
  }

  /** Data type, access level and value of every variable, in one Read. */
  private async describeVariables(session: ClientSession, nodes: BrowsedNode[]): Promise<void> {
    const vars = nodes.filter((n) => n.nodeClass === 'Variable');
    if (vars.length === 0) return;
    const attrs = [AttributeIds.DataType, AttributeIds.UserAccessLevel, AttributeIds.Value, AttributeIds.Description];
    const values = await session.read(
      vars.flatMap((v) => attrs.map((attributeId) => ({ nodeId: v.nodeId, attributeId }))),
    );
    for (let i = 0; i < vars.length; i++) {
      const [dataType, access, value, description] = values.slice(
        i * attrs.length,
        (i + 1) * attrs.length,
      ) as DataValue[];
      const v = vars[i]!;
      const builtIn = await builtInType(session, dataType);
      if (builtIn !== undefined) {
        v.dataType = DataType[builtIn];
        const type = value?.value?.arrayType ? undefined : PROPERTY_TYPE[builtIn];
        if (type) v.propertyType = type;
      }
      if (access?.statusCode.isGood()) v.writable = (Number(access.value.value) & 0x02) !== 0;
      const shown = scalar(value);
      if (shown !== undefined) v.value = shown;
      const text = (description?.value?.value as { text?: string } | null)?.text;
      if (text) v.description = text;
    }
  }
}

function settingsOf(p: BrowseParams): ConnectionSettings {
  if (typeof p?.url !== 'string' || !/^opc\.tcp:\/\/[^/]+/.test(p.url))
    throw opcuaErrors.create(
      'KEDGE_OPCUA_INVALID_CONFIG',
      `url must be opc.tcp://host:port, got ${JSON.stringify(p?.url)}`,
    );
  const s: ConnectionSettings = {
    url: p.url,
    securityPolicy: p.securityPolicy ?? 'None',
    securityMode: p.securityMode ?? 'None',
    timeoutMs: DEFAULT_TIMEOUT_MS,
    subscribe: false,
  };
  if (p.userName) s.userName = p.userName;
  if (p.password) s.password = p.password;
  if (p.acceptUnknownServerCertificates !== undefined)
    s.acceptUnknownServerCertificates = p.acceptUnknownServerCertificates;
  return s;
}

async function children(session: ClientSession, nodeId: string): Promise<ReferenceDescription[]> {
  let result = await session.browse({
    nodeId,
    browseDirection: BrowseDirection.Forward,
    referenceTypeId: 'HierarchicalReferences',
    includeSubtypes: true,
    nodeClassMask: NodeClassMask.Object | NodeClassMask.Variable | NodeClassMask.Method,
    resultMask: 0x3f,
  });
  if (!result.statusCode.isGood()) {
    const code =
      result.statusCode.name === 'BadNodeIdUnknown' ? 'KEDGE_OPCUA_BROWSE_UNKNOWN_NODE' : 'KEDGE_OPCUA_BROWSE';
    throw opcuaErrors.create(code, `browsing ${nodeId} failed: ${result.statusCode.name}`, {
      detail: { statusCode: result.statusCode.name },
    });
  }
  const refs = [...(result.references ?? [])];
  while (result.continuationPoint && refs.length <= MAX_CHILDREN) {
    result = await session.browseNext(result.continuationPoint, false);
    refs.push(...(result.references ?? []));
  }
  return refs;
}

function describe(r: ReferenceDescription): BrowsedNode {
  const nodeClass = NodeClass[r.nodeClass] ?? String(r.nodeClass);
  return {
    nodeId: r.nodeId.toString(),
    browseName: `${r.browseName.namespaceIndex}:${r.browseName.name ?? ''}`,
    displayName: r.displayName.text ?? r.browseName.name ?? r.nodeId.toString(),
    nodeClass,
    hasChildren: r.nodeClass === NodeClass.Object,
  };
}

/** The built-in type behind a DataType attribute (a subtype such as UtcTime resolves to DateTime). */
async function builtInType(session: ClientSession, dv: DataValue | undefined): Promise<DataType | undefined> {
  if (!dv?.statusCode.isGood() || !dv.value?.value) return undefined;
  const id = dv.value.value as { namespace: number; value: unknown };
  if (id.namespace === 0 && typeof id.value === 'number' && id.value >= 1 && id.value <= 25)
    return id.value as DataType;
  try {
    return await session.getBuiltInDataType(coerceNodeId(id as never));
  } catch {
    return undefined;
  }
}

function scalar(dv: DataValue | undefined): BrowsedNode['value'] | undefined {
  const v = dv?.value;
  if (!dv?.statusCode.isGood() || !v || v.arrayType) return undefined;
  const x = v.value as unknown;
  if (x === null || typeof x === 'number' || typeof x === 'boolean') return x as BrowsedNode['value'];
  if (typeof x === 'string') return x.length > 200 ? `${x.slice(0, 200)}…` : x;
  if (x instanceof Date) return x.toISOString();
  if (typeof (x as { text?: unknown }).text === 'string') return (x as { text: string }).text;
  if (Array.isArray(x) && x.length === 2 && x.every((n) => typeof n === 'number')) return x[0]! * 2 ** 32 + x[1]!;
  return undefined;
}
