/**
 * KubeEdge's Device Management Interface (DMI v1beta1, gRPC over unix sockets): the message types,
 * the conversions between kedge's Device/DeviceModel and DMI's, and the lazy loader of gRPC and
 * the proto. Heavy (gRPC, protobufjs): import only from code that runs when DMI is in use.
 */
export * from './types.js';
export { toAny, fromAny, toCustomized, fromCustomized, shortestFloat32 } from './any-value.js';
export { toPbDevice, toPbModel, fromPbDevice, fromPbModel } from './convert.js';
export { loadDmi, dmiProtoPath, unixTarget, type Dmi } from './load.js';
