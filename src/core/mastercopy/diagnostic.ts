export type Severity = 'error' | 'warning' | 'information';

/** A half-open range of offsets into the master copy's text. */
export interface OffsetRange {
  start: number;
  end: number;
}

export interface Diagnostic {
  severity: Severity;
  message: string;
  range: OffsetRange;
  /** Stable identifier of the rule, e.g. `yaml-syntax`, `schema`, `path-escape`. */
  code: string;
}

export function sortDiagnostics(ds: Diagnostic[]): Diagnostic[] {
  return ds.sort(
    (a, b) =>
      a.range.start - b.range.start ||
      a.range.end - b.range.end ||
      a.message.localeCompare(b.message),
  );
}
