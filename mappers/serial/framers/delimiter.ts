import { DEFAULT_MAX_FRAME_BYTES, output, sample, type Framer, type FramerOutput } from './framer.js';

export interface DelimiterFramerOptions {
  delimiter: string;
  maxFrameBytes?: number;
  /** Also drop a trailing "\r" (the default framing splits on "\n" and accepts CRLF too). */
  trimCr?: boolean;
}

/** Frames end with a delimiter ("\r\n", "\n", ">"...); empty frames are skipped. */
export class DelimiterFramer implements Framer {
  private buffer = '';
  /** After an over-long frame: bytes up to the next delimiter belong to it and are dropped. */
  private discarding = false;
  private readonly max: number;

  constructor(private readonly options: DelimiterFramerOptions) {
    if (options.delimiter.length === 0) throw new Error('delimiter must not be empty');
    this.max = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
  }

  push(chunk: Buffer): FramerOutput {
    const out = output();
    this.buffer += chunk.toString('latin1');
    const { delimiter } = this.options;
    let at: number;
    while ((at = this.buffer.indexOf(delimiter)) >= 0) {
      const text = this.buffer.slice(0, at);
      this.buffer = this.buffer.slice(at + delimiter.length);
      if (this.discarding) {
        this.discarding = false;
        continue;
      }
      const frame = this.options.trimCr && text.endsWith('\r') ? text.slice(0, -1) : text;
      if (frame.length > this.max)
        out.rejects.push({
          reason: 'overlong',
          detail: `frame of ${frame.length} bytes > ${this.max}: ${sample(frame)}`,
        });
      else if (frame.length > 0) out.frames.push({ text: frame });
    }
    this.bound(out);
    return out;
  }

  reset(): void {
    this.buffer = '';
    this.discarding = false;
  }

  private bound(out: FramerOutput): void {
    // Keep a possible partial delimiter at the end; everything before it is one over-long frame.
    if (this.buffer.length <= this.max + this.options.delimiter.length) return;
    if (!this.discarding) {
      out.rejects.push({
        reason: 'overlong',
        detail: `no ${JSON.stringify(this.options.delimiter)} within ${this.max} bytes: ${sample(this.buffer)}`,
      });
    }
    this.discarding = true;
    const keep = this.options.delimiter.length - 1;
    this.buffer = keep > 0 ? this.buffer.slice(-keep) : '';
  }
}
