/** `kedge mapper --dmi`: the mapper SDK speaking KubeEdge's DMI instead of MQTT (loads gRPC). */
export { DmiMapperRuntime, type DmiMapperOptions } from './runtime.js';
