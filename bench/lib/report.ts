// What bench/run.mjs hands to each benchmark module's `run(report)`.
// The implementation lives in run.mjs; a module only uses this interface.

export type Cell = string | number;

export interface Report {
  /** The repository's root folder. */
  readonly root: string;
  /** Options from the command line (`--samples 100`, `--quick`). */
  readonly options: { samples?: number; quick: boolean };
  /** A section heading. */
  heading(title: string): void;
  /** A line of text. */
  line(text: string): void;
  /** A table: printed aligned on the console, kept as Markdown in bench/results/<module>.md. */
  table(columns: string[], rows: Cell[][]): void;
  /** A correctness check. A failed check makes the run exit non-zero. */
  check(name: string, ok: boolean, detail?: string): void;
  /** A number to keep in bench/results/<module>.json (for comparing runs). */
  value(name: string, v: number | string): void;
}
