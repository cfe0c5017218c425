export { ModbusSim, type SimFaults, type SimOptions, type SimFraming } from './server.js';
export { type SimPoint, type SimGenerator, generatorValue, prng } from './points.js';
export { UnitMemory } from './memory.js';
export { openPtyPair, type PtyPair } from './pty-pair.js';
export { crc16 } from './crc16.js';
export {
  simModelFromInstances,
  addSpikes,
  descriptionsOf,
  exampleIn,
  type SimModel,
  type SimDevice,
  type DescriptionOf,
} from './from-model.js';
