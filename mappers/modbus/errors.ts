import { defineErrors } from '../../src/core/errors/index.js';

/** Every error the Modbus driver raises on purpose. */
export const modbusErrors = defineErrors({
  KEDGE_MODBUS_INVALID_VISITOR:
    'Fix the property visitor configData: register, offset, limit, dataType/rawType and byteOrder must fit together.',
  KEDGE_MODBUS_SHORT_READ:
    'The device returned fewer registers than the value needs; check offset/limit against the device manual.',
  KEDGE_MODBUS_VALUE_OUT_OF_RANGE:
    'The value cannot be represented by the raw type of this register; check scale, valueOffset and rawType.',
  KEDGE_MODBUS_READ_TOO_LARGE:
    'A single property spans more registers than one Modbus request may carry; split it or raise maxRegistersPerRead (max 125 registers / 2000 bits).',
  KEDGE_MODBUS_EXCEPTION:
    'The device rejected the request with a Modbus exception; check register addresses, function code and the value written.',
  KEDGE_MODBUS_TIMEOUT:
    'The device did not answer in time; check wiring, slave ID, baud rate/parity, or raise timeoutMs.',
  KEDGE_MODBUS_CRC: 'A frame arrived with a bad CRC; check termination, baud rate/parity and noise on the RS-485 line.',
  KEDGE_MODBUS_NOT_CONNECTED:
    'The connection to the device is closed; kedge reconnects with back-off, check the endpoint is reachable.',
  KEDGE_MODBUS_CONNECT_FAILED:
    'Opening the connection failed; check the host/port or serial device path and its permissions.',
  KEDGE_MODBUS_BAD_RESPONSE:
    'The device answered with a frame that does not match the request (wrong unit, function or length).',
  KEDGE_MODBUS_IO:
    'Talking to the device failed below the Modbus layer (socket or serial port error); kedge reconnects with back-off.',
  KEDGE_MODBUS_DEVICE_BACKOFF:
    'The device failed recently and is backed off; kedge probes it again when the back-off expires.',
  KEDGE_MODBUS_QUEUE_CLOSED: 'The line queue was stopped; requests are no longer accepted.',
  KEDGE_MODBUS_QUEUE_FULL:
    'Too many requests are waiting for this device on its line; poll less often or merge reads (maxGap).',
  KEDGE_MODBUS_SIM_CONFIG: 'Fix the simulator point or fault configuration.',
});

/** Names from the Modbus Application Protocol spec v1.1b3, section 7. */
const EXCEPTION_NAMES: Readonly<Record<number, string>> = {
  1: 'Illegal Function',
  2: 'Illegal Data Address',
  3: 'Illegal Data Value',
  4: 'Server Device Failure',
  5: 'Acknowledge',
  6: 'Server Device Busy',
  7: 'Negative Acknowledge',
  8: 'Memory Parity Error',
  10: 'Gateway Path Unavailable',
  11: 'Gateway Target Device Failed to Respond',
};

export function exceptionName(code: number): string {
  return EXCEPTION_NAMES[code] ?? 'Unknown Exception';
}

/** "exception 2 (Illegal Data Address)" — the form every message uses. */
export function describeException(code: number): string {
  return `exception ${code} (${exceptionName(code)})`;
}
