/**
 * Shows the live table: on a terminal it redraws in place (cursor up, clear to end of screen),
 * elsewhere (a pipe, CI log) it prints plain lines and never an escape sequence.
 */
export class LiveScreen {
  private drawnLines = 0;

  constructor(private readonly out: NodeJS.WritableStream & { isTTY?: boolean; rows?: number }) {}

  get isTty(): boolean {
    return this.out.isTTY === true;
  }

  /** Rows the table may use on this terminal (header text and hints take the rest). */
  get maxRows(): number {
    return Math.max(5, (this.out.rows ?? 40) - 14);
  }

  /** Replaces what was drawn last with `text` (terminal only). */
  redraw(text: string): void {
    const up = this.drawnLines > 0 ? `\x1b[${this.drawnLines}A\r\x1b[J` : '';
    this.out.write(up + text);
    this.drawnLines = text.split('\n').length - 1;
  }

  /** Plain output: forget what was drawn so it is not overwritten. */
  print(text: string): void {
    this.out.write(text.endsWith('\n') ? text : `${text}\n`);
    this.drawnLines = 0;
  }
}
