/** The serial driver's public face: the DriverModule, framers, NMEA decoding and the simulator. */
export { createDriver, driverModule, SerialDriver, type SerialDriverOptions } from './driver.js';
export { serialErrors } from './errors.js';
export {
  createFramer,
  DelimiterFramer,
  FixedLengthFramer,
  RegexFramer,
  NmeaFramer,
  type Framer,
  type Frame,
  type FrameReject,
  type FramerOutput,
  type RejectReason,
} from './framers/index.js';
export {
  parseNmea,
  formatNmea,
  nmeaChecksum,
  decodeGga,
  decodeRmc,
  nmeaCoordinate,
  type NmeaSentence,
} from './nmea.js';
export {
  openSerialPort,
  portSettings,
  type PortOpener,
  type PortSettings,
  type PortLink,
  type PortEvents,
} from './port.js';
export { compileReader, type PropertyReader, type Extracted } from './reader.js';
export { unescapeControl } from './escapes.js';
