import { DEFAULT_MAX_FRAME_BYTES, output, sample, type Framer, type FramerOutput } from './framer.js';

/**
 * Each match of `pattern` is a frame. A match is taken only once at least one byte follows it:
 * until then a longer match may still grow (`\d+` on "12" of "123"). Non-blank bytes between
 * matches are garbage.
 */
export class RegexFramer implements Framer {
  private buffer = '';
  private readonly re: RegExp;
  private readonly max: number;

  constructor(pattern: string, maxFrameBytes = DEFAULT_MAX_FRAME_BYTES) {
    this.re = new RegExp(pattern, 'g');
    this.max = maxFrameBytes;
  }

  push(chunk: Buffer): FramerOutput {
    const out = output();
    this.buffer += chunk.toString('latin1');
    let consumed = 0;
    this.re.lastIndex = 0;
    let m: RegExpExecArray | null;
    while ((m = this.re.exec(this.buffer)) !== null) {
      const end = m.index + m[0].length;
      if (m[0].length === 0) {
        this.re.lastIndex++;
        continue;
      }
      if (end >= this.buffer.length) break;
      this.skipped(this.buffer.slice(consumed, m.index), out);
      out.frames.push({ text: m[0] });
      consumed = end;
    }
    this.buffer = this.buffer.slice(consumed);
    if (this.buffer.length > this.max) {
      out.rejects.push({
        reason: 'overlong',
        detail: `no match of /${this.re.source}/ within ${this.max} bytes: ${sample(this.buffer)}`,
      });
      this.buffer = '';
    }
    return out;
  }

  reset(): void {
    this.buffer = '';
  }

  private skipped(text: string, out: FramerOutput): void {
    if (text.trim().length > 0)
      out.rejects.push({ reason: 'garbage', detail: `bytes between frames: ${sample(text)}` });
  }
}
