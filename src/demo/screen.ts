type Out = NodeJS.WritableStream & { isTTY?: boolean; rows?: number; columns?: number };

/**
 * Shows the live view: on a terminal a whole screen redrawn in place (cursor home, each line
 * cleared to its end, the rest of the screen cleared), sized to the terminal at each frame;
 * elsewhere (a pipe, a CI log) plain lines and never an escape sequence.
 */
export class LiveScreen {
  private drawnLines = 0;
  private cleared = false;

  constructor(private readonly out: Out) {}

  get isTty(): boolean {
    return this.out.isTTY === true;
  }

  get rows(): number {
    return this.out.rows ?? 24;
  }

  get columns(): number {
    return this.out.columns ?? 80;
  }

  /** Rows the table may use on this terminal (header text and hints take the rest). */
  get maxRows(): number {
    return Math.max(5, (this.out.rows ?? 40) - 14);
  }

  /**
   * Draws `lines` as the whole screen (terminal only): the first frame clears it, later ones
   * overwrite it line by line (no flicker). The last line has no newline, so nothing scrolls.
   */
  frame(lines: string[]): void {
    const start = this.cleared ? '\x1b[H' : '\x1b[2J\x1b[H';
    this.cleared = true;
    this.out.write(`${start}${lines.map((l) => `${l}\x1b[K`).join('\r\n')}\x1b[J`);
    this.drawnLines = 0;
  }

  /** Moves below the last frame, so what follows starts on a line of its own. */
  leaveFrame(): void {
    if (this.cleared) this.out.write('\r\n');
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
