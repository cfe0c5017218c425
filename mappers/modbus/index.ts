/** The Modbus driver's public face: codec, decode specs, read planner, line queue, transport, simulator. */
export { modbusErrors, exceptionName, describeException } from './errors.js';
export {
  RAW_TYPES,
  BYTE_ORDERS,
  registerCount,
  registersToBytes,
  bytesToRegisters,
  decodeRaw,
  decodeRegisters,
  decodeBits,
  encodeRegisters,
  encodeCoil,
  type RawType,
  type ByteOrder,
  type CodecSpec,
  type ModbusValue,
} from './codec.js';
export {
  REGISTER_TABLES,
  deriveDecodeSpec,
  isBitTable,
  type RegisterTable,
  type ModbusVisitorInput,
  type DecodeSpec,
  type DecodeContext,
} from './decode-spec.js';
export {
  planReads,
  capFor,
  MAX_REGISTERS_PER_READ,
  MAX_BITS_PER_READ,
  type PlanItem,
  type PlanOptions,
  type ReadRequest,
  type Served,
} from './planner.js';
export { interFrameGapMs, characterTimeMs, bitsPerCharacter, type SerialFraming } from './rtu-timing.js';
export {
  LineQueue,
  systemTimers,
  type LineQueueOptions,
  type LineTask,
  type QueueTimers,
  type UnitHealth,
  type UnitId,
  DEFAULT_UNIT_BACKOFF,
} from './line-queue.js';
export { ModbusTransport, type TransportOptions, type CommunicateMode, type ModbusRequestInfo } from './transport.js';
export * as sim from './sim/index.js';
