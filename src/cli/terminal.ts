// The terminal side of `probekit watch`: the alternate screen, full redraws, and the terminal put back on exit.

/** A full-screen view on a TTY. */
export class Screen {
  private active = false;
  constructor(private readonly out: NodeJS.WriteStream) {}

  /** Columns usable for text (one is kept free: erasing to the end of a full line would eat its last character). */
  get width(): number {
    return Math.max(20, (this.out.columns ?? 80) - 1);
  }

  get height(): number {
    return Math.max(3, this.out.rows ?? 24);
  }

  /** Switches to the alternate screen and hides the cursor. */
  enter(): void {
    if (this.active) return;
    this.active = true;
    this.out.write('\x1b[?1049h\x1b[?25l\x1b[H\x1b[2J');
  }

  /** Redraws the whole screen: each line over the old one, the rest erased (no flicker from a full clear). */
  draw(lines: readonly string[]): void {
    if (!this.active) return;
    this.out.write(`\x1b[H${lines.map((l) => `${l}\x1b[K`).join('\r\n')}\x1b[J`);
  }

  /** Back to the normal screen with the cursor shown. Idempotent; synchronous on a TTY, so safe in an exit handler. */
  leave(): void {
    if (!this.active) return;
    this.active = false;
    this.out.write('\x1b[0m\x1b[?25h\x1b[?1049l');
  }
}
