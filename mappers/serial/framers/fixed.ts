import { output, type Framer, type FramerOutput } from './framer.js';

/** Every `length` bytes are one frame (binary or fixed-width ASCII records). */
export class FixedLengthFramer implements Framer {
  private buffer: Buffer = Buffer.alloc(0);

  constructor(private readonly length: number) {
    if (!Number.isInteger(length) || length < 1)
      throw new Error(`fixed frame length must be a positive integer, got ${length}`);
  }

  push(chunk: Buffer): FramerOutput {
    const out = output();
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    while (this.buffer.length >= this.length) {
      out.frames.push({ text: this.buffer.subarray(0, this.length).toString('latin1') });
      this.buffer = this.buffer.subarray(this.length);
    }
    // A copy, so the port's chunk is not kept alive by a few leftover bytes.
    this.buffer = Buffer.from(this.buffer);
    return out;
  }

  reset(): void {
    this.buffer = Buffer.alloc(0);
  }
}
