// What a log tail delivers: the lines of copies, and marker lines that say what happened
// to the tail itself (a copy joined, restarted, stopped or left; the engine went away and
// came back). One shape for the CLI and the editor's terminal.

export type LogStreamName = 'stdout' | 'stderr';

/** One line a copy wrote, without its line ending. */
export interface LogLine {
  kind: 'line';
  /** The copy's index among its version's copies (io.mastercopy.copy); -1 for a container without one. */
  copyIndex: number;
  /** The master copy's name and version (empty when the container has no such labels). */
  name: string;
  version: string;
  containerId: string;
  stream: LogStreamName;
  /**
   * The engine's time for the line, RFC 3339 with nanoseconds in UTC ("2026-11-25T12:53:58.603290756Z");
   * empty only when followLogs was told `timestamps: false` and could do without them.
   */
  timestamp: string;
  /** The line as written (colour codes included), without "\n" or a trailing "\r". */
  text: string;
}

export type LogMarkerEvent =
  | 'joined'
  | 'restarted'
  | 'resumed'
  | 'stopped'
  | 'left'
  | 'engine-lost'
  | 'engine-back'
  | 'no-copies';

/** Something that happened to the tail, said in one line. */
export interface LogMarker {
  kind: 'marker';
  event: LogMarkerEvent;
  /** The copy it is about, when it is about one. */
  copyIndex?: number;
  version?: string;
  containerId?: string;
  /** Where it sits among the lines: RFC 3339, like LogLine.timestamp. */
  timestamp: string;
  /** For people: "copy 1 restarted: following its new output". */
  text: string;
}

export type LogEntry = LogLine | LogMarker;

/** What to follow: the copies of a master copy (every version, or one), or one container. */
export type LogTarget = { name: string; version?: string } | { containerId: string };
