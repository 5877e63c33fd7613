// Entries → terminal text: each line prefixed with its copy ("0 | ", or "1.1.0/0 | "
// once copies of two versions take part), in a colour that stays the copy's for the
// whole tail; marker lines start with "-- ". The copy's own text is passed on as it is
// (its colour codes too); with colour on, a reset follows it so that a copy's colour
// never bleeds into the next prefix.
import type { LogEntry } from './types';

export interface LogFormatOptions {
  /** ANSI colours (a terminal). */
  color: boolean;
  /** The copy prefix; default true. */
  prefix?: boolean;
  /** The engine's timestamp before each line. */
  timestamps?: boolean;
}

const RESET = '\x1b[0m';
const DIM = '\x1b[2m';
/** Cyan, yellow, green, magenta, blue, then the bright ones: readable on dark and light themes. */
const PALETTE = [36, 33, 32, 35, 34, 96, 93, 92, 95, 94].map((c) => `\x1b[${c}m`);

/** The colour of a copy: by its index, the same in every tail. */
export function copyColor(copyIndex: number): string {
  return PALETTE[((copyIndex % PALETTE.length) + PALETTE.length) % PALETTE.length];
}

export class LogFormatter {
  private readonly versions = new Set<string>();
  private width = 0;

  constructor(private readonly options: LogFormatOptions) {}

  /** One entry as one line of text, without its "\n". */
  format(entry: LogEntry): string {
    const { color } = this.options;
    if (entry.kind === 'marker') {
      const text = `-- ${entry.text}`;
      if (!color) return text;
      return `${entry.copyIndex !== undefined ? copyColor(entry.copyIndex) : ''}${DIM}${text}${RESET}`;
    }
    let out = '';
    if (this.options.prefix ?? true) {
      if (entry.version) this.versions.add(entry.version);
      const who =
        entry.copyIndex < 0
          ? entry.containerId.slice(0, 12)
          : this.versions.size > 1
            ? `${entry.version}/${entry.copyIndex}`
            : String(entry.copyIndex);
      this.width = Math.max(this.width, who.length);
      const prefix = `${who.padEnd(this.width)} | `;
      out = color ? `${copyColor(entry.copyIndex)}${prefix}${RESET}` : prefix;
    }
    if (this.options.timestamps) out += `${entry.timestamp} `;
    out += entry.text;
    if (color && entry.text.includes('\x1b')) out += RESET;
    return out;
  }
}
