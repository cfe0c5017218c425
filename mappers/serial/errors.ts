import { defineErrors } from '../../src/core/errors/index.js';

/** Every error the serial driver and its simulator raise on purpose. */
export const serialErrors = defineErrors({
  KEDGE_SERIAL_INVALID_CONFIG:
    'Fix the device or visitor configData: serialPort, framing, mode, and per property pattern/group or sentence/field (kedge validate shows the details).',
  KEDGE_SERIAL_PORT_CONFLICT:
    'Devices sharing one serial port must agree on its settings (baudRate, dataBits, parity, stopBits, framing); make them identical.',
  KEDGE_SERIAL_OPEN_FAILED:
    'The serial port could not be opened; check the path (prefer /dev/serial/by-id/...), that the adapter is plugged in and that kedge may read it (group dialout).',
  KEDGE_SERIAL_NOT_OPEN: 'The serial port is closed (unplugged or not yet opened); kedge reopens it with back-off.',
  KEDGE_SERIAL_NO_RESPONSE:
    'The device did not answer the command in time; check wiring, baud rate/parity, the command and the device address.',
  KEDGE_SERIAL_NOT_WRITABLE:
    'The property has no writeCommand in its visitor configData: add one ("SP {value}\\r", optionally writeAck) or make the property ReadOnly.',
  KEDGE_SERIAL_WRITE_FAILED:
    'The write was not confirmed (no writeAck frame, no read-back, or the port closed); check the writeCommand, writeAck and that the device accepts writes. The desired value stays pending until its timeout.',
  KEDGE_SERIAL_NOT_STARTED: 'The serial driver was not started (or is stopped); start() it before adding devices.',
  KEDGE_SERIAL_SIM_CONFIG:
    'Fix the serial simulator input: the model files need serial Devices whose framing and patterns the simulator can produce.',
});
