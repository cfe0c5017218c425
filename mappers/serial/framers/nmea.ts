import { parseNmea } from '../nmea.js';
import { DelimiterFramer } from './delimiter.js';
import { output, sample, type Framer, type FramerOutput } from './framer.js';

/** NMEA allows 82 characters per sentence; proprietary ones run longer, so allow some slack. */
export const NMEA_MAX_LINE = 256;

/**
 * NMEA 0183 lines: split on "\n" (CR dropped), checksum verified. Noise before a `$` in the same
 * line (a half sentence after the port opened, line noise) is garbage but the sentence after it
 * is still read.
 */
export class NmeaFramer implements Framer {
  private readonly lines = new DelimiterFramer({ delimiter: '\n', trimCr: true, maxFrameBytes: NMEA_MAX_LINE });

  push(chunk: Buffer): FramerOutput {
    const out = output();
    const lines = this.lines.push(chunk);
    out.rejects.push(...lines.rejects);
    for (const { text } of lines.frames) {
      const start = Math.max(text.lastIndexOf('$'), text.lastIndexOf('!'));
      if (start < 0) {
        out.rejects.push({ reason: 'garbage', detail: `not an NMEA sentence: ${sample(text)}` });
        continue;
      }
      if (start > 0)
        out.rejects.push({ reason: 'garbage', detail: `noise before a sentence: ${sample(text.slice(0, start))}` });
      const line = text.slice(start);
      const parsed = parseNmea(line);
      if (parsed.ok) out.frames.push({ text: line, nmea: parsed.sentence });
      else out.rejects.push({ reason: parsed.reason, detail: `${parsed.detail}: ${sample(line)}` });
    }
    return out;
  }

  reset(): void {
    this.lines.reset();
  }
}
