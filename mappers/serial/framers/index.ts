import type { SerialFraming } from '../../../src/model/index.js';
import { unescapeControl } from '../escapes.js';
import { DelimiterFramer } from './delimiter.js';
import { FixedLengthFramer } from './fixed.js';
import type { Framer } from './framer.js';
import { NmeaFramer } from './nmea.js';
import { RegexFramer } from './regex.js';

export { DelimiterFramer, type DelimiterFramerOptions } from './delimiter.js';
export { FixedLengthFramer } from './fixed.js';
export { RegexFramer } from './regex.js';
export { NmeaFramer, NMEA_MAX_LINE } from './nmea.js';
export {
  DEFAULT_MAX_FRAME_BYTES,
  type Framer,
  type Frame,
  type FrameReject,
  type FramerOutput,
  type RejectReason,
} from './framer.js';

/** The framer a device's `framing` asks for; none given means lines ending in "\n" (CRLF too). */
export function createFramer(framing: SerialFraming | undefined, maxFrameBytes?: number): Framer {
  const max = maxFrameBytes === undefined ? {} : { maxFrameBytes };
  switch (framing?.type) {
    case undefined:
      return new DelimiterFramer({ delimiter: '\n', trimCr: true, ...max });
    case 'delimiter':
      return new DelimiterFramer({ delimiter: unescapeControl(framing.delimiter), ...max });
    case 'fixed':
      return new FixedLengthFramer(framing.length);
    case 'regex':
      return new RegexFramer(framing.pattern, maxFrameBytes);
    case 'nmea':
      return new NmeaFramer();
  }
}
