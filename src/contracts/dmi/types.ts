/**
 * KubeEdge DMI v1beta1 messages as kedge handles them in code: proto/kubeedge/dmi/v1beta1/api.proto
 * loaded with @grpc/proto-loader (field names as written, int64 as numbers, bytes as Buffers,
 * every scalar present with its default). Only the messages kedge reads or writes are typed.
 */

/** google.protobuf.Any: the packed message and its type URL. */
export interface PbAny {
  type_url: string;
  value: Buffer;
}

export interface PbCustomizedValue {
  data: Record<string, PbAny>;
}

export interface PbTwinProperty {
  value: string;
  metadata: Record<string, string>;
}

export interface PbVisitorConfig {
  protocolName: string;
  configData: PbCustomizedValue | null;
}

export interface PbPushMethod {
  http: { hostname: string; port: number; requestpath: string; timeout: number } | null;
  mqtt: { address: string; topic: string; qos: number; retained: boolean } | null;
  dbMethod: Record<string, unknown> | null;
  otel: { endpointURL: string } | null;
  anomalyDetection: PbCustomizedValue | null;
}

export interface PbDeviceProperty {
  name: string;
  desired: PbTwinProperty | null;
  visitors: PbVisitorConfig | null;
  reportCycle: number;
  collectCycle: number;
  reportToCloud: boolean;
  pushMethod: PbPushMethod | null;
}

export interface PbDeviceMethod {
  name: string;
  description: string;
  propertyNames: string[];
}

export interface PbTwin {
  propertyName: string;
  observedDesired: PbTwinProperty | null;
  reported: PbTwinProperty | null;
}

export interface PbDeviceStatus {
  twins: PbTwin[];
  reportToCloud: boolean;
  reportCycle: number;
}

export interface PbDevice {
  name: string;
  namespace: string;
  spec: {
    deviceModelReference: string;
    protocol: { protocolName: string; configData: PbCustomizedValue | null } | null;
    properties: PbDeviceProperty[];
    methods: PbDeviceMethod[];
  } | null;
  status: PbDeviceStatus | null;
}

export interface PbModelProperty {
  name: string;
  description: string;
  type: string;
  accessMode: string;
  minimum: string;
  maximum: string;
  unit: string;
}

export interface PbDeviceModel {
  name: string;
  namespace: string;
  spec: { properties: PbModelProperty[]; commands: unknown[] } | null;
}

export interface PbMapperInfo {
  name: string;
  version: string;
  api_version: string;
  protocol: string;
  /** A unix socket path, as bytes. */
  address: Buffer;
  state: string;
}

export interface PbMapperRegisterRequest {
  withData: boolean;
  mapper: PbMapperInfo | null;
}

export interface PbMapperRegisterResponse {
  modelList: PbDeviceModel[];
  deviceList: PbDevice[];
}

export interface PbReportDeviceStatusRequest {
  deviceName: string;
  deviceNamespace: string;
  reportedDevice: PbDeviceStatus | null;
}

export interface PbReportDeviceStatesRequest {
  deviceName: string;
  deviceNamespace: string;
  state: string;
}

export interface PbDeviceRef {
  deviceName: string;
  deviceNamespace: string;
}

export interface PbModelRef {
  modelName: string;
  modelNamespace: string;
}

/** The calls of DeviceManagerService (served by the edge) and DeviceMapperService (by each mapper). */
export const DEVICE_MANAGER_SERVICE = 'v1beta1.DeviceManagerService';
export const DEVICE_MAPPER_SERVICE = 'v1beta1.DeviceMapperService';

/** Where KubeEdge's mappers look for the edge's DMI socket by default (mapper-framework config.yaml). */
export const KUBEEDGE_DMI_SOCKET = '/etc/kubeedge/dmi.sock';

/**
 * gRPC call metadata kedge adds (outside the messages, so the wire format stays KubeEdge's): the
 * reason with a ReportDeviceStates, which KubeEdge's message has no field for.
 */
export const REASON_METADATA = 'kedge-reason';
