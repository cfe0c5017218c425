import type { Device, DeviceModel, DeviceProperty, ModelProperty, PushMethod } from '../../model/index.js';
import { fromCustomized, toCustomized } from './any-value.js';
import type { PbDevice, PbDeviceModel, PbDeviceProperty, PbModelProperty, PbPushMethod } from './types.js';

/**
 * A Device (its model's defaults already merged in, as KubeEdge's dmicache does before it calls a
 * mapper) as DMI's Device, like KubeEdge's dtcommon ConvertDevice: the model by name, configData
 * packed into Any values, spec.stateReport as status.reportCycle/reportToCloud. `desired` replaces
 * the spec's desired values (the twin's current ones, which edge applications may have set); each
 * desired value's metadata names the property's type in lower case, which the mapper-framework
 * template uses as the type of its twin reports, and (kedge) `pending`: "true" while the device has
 * not confirmed it, "false" once it has: a kedge mapper writes only pending ones (and, from an
 * edgecore that sends no such key, each value once), a mapper-framework mapper ignores the key.
 */
export function toPbDevice(
  device: Device,
  model: DeviceModel,
  desired: Record<string, string> = {},
  pending: ReadonlySet<string> = new Set(),
): PbDevice {
  const types = new Map((model.spec.properties ?? []).map((p) => [p.name, p.type.toLowerCase()]));
  const property = (p: DeviceProperty) => toPbProperty(p, desired[p.name], types.get(p.name), pending.has(p.name));
  const properties = (device.spec.properties ?? []).map(property);
  // A desired value for a property the Device does not list still reaches the mapper.
  for (const name of Object.keys(desired))
    if (!properties.some((p) => p.name === name)) properties.push(property({ name }));
  return {
    name: device.metadata.name,
    namespace: device.metadata.namespace ?? 'default',
    spec: {
      deviceModelReference: device.spec.deviceModelRef.name,
      // Always there, as in KubeEdge (a struct in its Go Device): mapper-framework reads
      // spec.protocol.protocolName without a nil check.
      protocol: {
        protocolName: device.spec.protocol?.protocolName ?? '',
        configData: toCustomized(device.spec.protocol?.configData ?? {}),
      },
      properties,
      methods: (device.spec.methods ?? []).map((m) => ({
        name: m.name,
        description: m.description ?? '',
        propertyNames: m.propertyNames ?? [],
      })),
    },
    status: {
      twins: [],
      reportToCloud: device.spec.stateReport?.reportToCloud ?? false,
      reportCycle: device.spec.stateReport?.reportCycle ?? 0,
    },
  };
}

function toPbProperty(
  p: DeviceProperty,
  desired: string | undefined,
  type: string | undefined,
  pending: boolean,
): PbDeviceProperty {
  const value = desired ?? p.desired?.value;
  const metadata: Record<string, string> = { ...p.desired?.metadata };
  if (type && metadata['type'] === undefined) metadata['type'] = type;
  if (value !== undefined && value !== '') metadata['pending'] = pending ? 'true' : 'false';
  // desired, visitors and visitors.configData are always there, as KubeEdge's ConvertDevice sends
  // them (structs in its Go types): mapper-framework's GetDeviceFromGrpc dereferences all three.
  return {
    name: p.name,
    desired: { value: value ?? '', metadata },
    visitors: { protocolName: p.visitors?.protocolName ?? '', configData: toCustomized(p.visitors?.configData ?? {}) },
    reportCycle: p.reportCycle ?? 0,
    collectCycle: p.collectCycle ?? 0,
    reportToCloud: p.reportToCloud ?? false,
    pushMethod: toPbPushMethod(p.pushMethod),
  };
}

function toPbPushMethod(push: Record<string, unknown> | undefined): PbPushMethod | null {
  if (!push) return null;
  const http = push['http'] as Record<string, unknown> | undefined;
  const mqtt = push['mqtt'] as Record<string, unknown> | undefined;
  const otel = push['otel'] as Record<string, unknown> | undefined;
  return {
    http: http
      ? {
          hostname: String(http['hostName'] ?? ''),
          port: Number(http['port'] ?? 0),
          requestpath: String(http['requestPath'] ?? ''),
          timeout: Number(http['timeout'] ?? 0),
        }
      : null,
    mqtt: mqtt
      ? {
          address: String(mqtt['address'] ?? ''),
          topic: String(mqtt['topic'] ?? ''),
          qos: Number(mqtt['qos'] ?? 0),
          retained: Boolean(mqtt['retained'] ?? false),
        }
      : null,
    dbMethod: null,
    otel: otel ? { endpointURL: String(otel['endpointURL'] ?? '') } : null,
    anomalyDetection: null,
  };
}

/** A DeviceModel as DMI's (KubeEdge's ConvertDeviceModel: the properties; v1beta1 has no visitors there). */
export function toPbModel(model: DeviceModel): PbDeviceModel {
  return {
    name: model.metadata.name,
    namespace: model.metadata.namespace ?? 'default',
    spec: {
      properties: (model.spec.properties ?? []).map((p) => ({
        name: p.name,
        description: p.description ?? '',
        type: p.type,
        accessMode: p.accessMode ?? '',
        minimum: p.minimum === undefined ? '' : String(p.minimum),
        maximum: p.maximum === undefined ? '' : String(p.maximum),
        unit: p.unit ?? '',
      })),
      commands: [],
    },
  };
}

/** DMI's Device back into a kedge Device (what a mapper receives), for the model it names. */
export function fromPbDevice(pb: PbDevice): Device {
  const spec = pb.spec;
  const device: Device = {
    apiVersion: 'devices.kubeedge.io/v1beta1',
    kind: 'Device',
    metadata: { name: pb.name, namespace: pb.namespace || 'default' },
    spec: { deviceModelRef: { name: spec?.deviceModelReference ?? '' } },
  };
  if (
    spec?.protocol &&
    (spec.protocol.protocolName !== '' || Object.keys(spec.protocol.configData?.data ?? {}).length > 0)
  ) {
    const configData = fromCustomized(spec.protocol.configData);
    device.spec.protocol = { protocolName: spec.protocol.protocolName, ...(configData ? { configData } : {}) };
  }
  if (spec?.properties?.length) device.spec.properties = spec.properties.map(fromPbProperty);
  if (spec?.methods?.length)
    device.spec.methods = spec.methods.map((m) => ({
      name: m.name,
      ...(m.description ? { description: m.description } : {}),
      propertyNames: m.propertyNames,
    }));
  if (pb.status && (pb.status.reportCycle || pb.status.reportToCloud))
    device.spec.stateReport = { reportCycle: pb.status.reportCycle, reportToCloud: pb.status.reportToCloud };
  return device;
}

function fromPbProperty(p: PbDeviceProperty): DeviceProperty {
  const out: DeviceProperty = { name: p.name };
  if (p.desired && p.desired.value !== '') {
    const metadata = p.desired.metadata ?? {};
    out.desired = { value: p.desired.value, ...(Object.keys(metadata).length > 0 ? { metadata } : {}) };
  }
  if (p.visitors && (p.visitors.protocolName !== '' || Object.keys(p.visitors.configData?.data ?? {}).length > 0)) {
    const configData = fromCustomized(p.visitors.configData);
    out.visitors = {
      ...(p.visitors.protocolName ? { protocolName: p.visitors.protocolName } : {}),
      ...(configData ? { configData } : {}),
    };
  }
  if (p.collectCycle) out.collectCycle = p.collectCycle;
  if (p.reportCycle) out.reportCycle = p.reportCycle;
  if (p.reportToCloud) out.reportToCloud = true;
  const push = fromPbPushMethod(p.pushMethod);
  if (push) out.pushMethod = push;
  return out;
}

function fromPbPushMethod(p: PbPushMethod | null): PushMethod | undefined {
  if (!p) return undefined;
  // proto3 has no "unset": a 0 port or timeout is one the Device did not give.
  const out: PushMethod = {};
  if (p.mqtt) out.mqtt = { address: p.mqtt.address, topic: p.mqtt.topic, qos: p.mqtt.qos, retained: p.mqtt.retained };
  if (p.http)
    out.http = {
      hostName: p.http.hostname,
      ...(p.http.port ? { port: p.http.port } : {}),
      requestPath: p.http.requestpath,
      ...(p.http.timeout ? { timeout: p.http.timeout } : {}),
    };
  if (p.otel) out.otel = { endpointURL: p.otel.endpointURL };
  return Object.keys(out).length > 0 ? out : undefined;
}

/** DMI's DeviceModel back into a kedge DeviceModel. */
export function fromPbModel(pb: PbDeviceModel, protocol?: string): DeviceModel {
  return {
    apiVersion: 'devices.kubeedge.io/v1beta1',
    kind: 'DeviceModel',
    metadata: { name: pb.name, namespace: pb.namespace || 'default' },
    spec: {
      ...(protocol ? { protocol } : {}),
      properties: (pb.spec?.properties ?? []).map(fromPbModelProperty),
    },
  };
}

function fromPbModelProperty(p: PbModelProperty): ModelProperty {
  const out: ModelProperty = { name: p.name, type: (p.type.toUpperCase() || 'STRING') as ModelProperty['type'] };
  if (p.description) out.description = p.description;
  if (p.accessMode === 'ReadWrite' || p.accessMode === 'ReadOnly') out.accessMode = p.accessMode;
  if (p.minimum) out.minimum = p.minimum;
  if (p.maximum) out.maximum = p.maximum;
  if (p.unit) out.unit = p.unit;
  return out;
}
