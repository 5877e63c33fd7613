// A log tail in a terminal: VS Code renders the copies' own ANSI colours; we add
// each copy's coloured prefix, a red bar on stderr lines and marker lines, and
// keep the terminal responsive on a flood by writing at most one chunk per frame.
import * as vscode from 'vscode';
import { LogFormatter } from '../../core/logs/LogFormatter';
import type { LogTail } from '../../core/logs/LogTail';
import { RingBuffer } from '../../core/logs/RingBuffer';
import { Disposable, toDisposable } from '../../core/util/lifecycle';
import type { LogEntry } from '../../core/logs/types';
import type { LogFilter } from '../../core/logs/logFilter';

const ANSI = /\x1b\[[0-9;?]*[A-Za-z]/g;
const STDERR_BAR = '\x1b[31m┃\x1b[0m ';
/** What may wait to be written; past it the oldest waiting text is dropped (and said so). */
const MAX_PENDING_CHARS = 1 << 20;
const FLUSH_MS = 16;
/** Plain lines kept for `shown`. */
const SHOWN_LINES = 5000;

export interface LogTerminalOptions {
  title: string;
  timestamps: boolean;
}

export class LogTerminal extends Disposable implements vscode.Pseudoterminal {
  private readonly writeEmitter = this._register(new vscode.EventEmitter<string>());
  private readonly closeEmitter = this._register(new vscode.EventEmitter<number | void>());
  readonly onDidWrite = this.writeEmitter.event;
  readonly onDidClose = this.closeEmitter.event;
  private formatter: LogFormatter;
  private filter?: { filter: LogFilter; description: string };
  private pending: string[] = [];
  private pendingChars = 0;
  private dropped = 0;
  private flushTimer?: NodeJS.Timeout;
  private opened = false;
  private readonly shownLines = new RingBuffer<string>(SHOWN_LINES);

  constructor(
    /** The tail shown (closing the terminal disposes it). */
    readonly tail: LogTail,
    private readonly options: LogTerminalOptions,
  ) {
    super();
    this.formatter = new LogFormatter({ color: true, timestamps: options.timestamps });
    this._register(tail);
    this._register(
      toDisposable(() => {
        clearTimeout(this.flushTimer);
        this.flushTimer = undefined;
      }),
    );
  }

  /** The last lines written, as plain text (without colour codes), oldest first: what tests read. */
  get shown(): string[] {
    return this.shownLines.toArray();
  }

  open(): void {
    this.opened = true;
    this.writeLine(
      `\x1b[2mTailing ${this.options.title}. Closing this terminal stops the tail. Press / to filter, Esc to clear the filter.\x1b[0m`,
    );
    this._register(this.tail.subscribe((entries) => this.add(entries)));
    this._register(
      this.tail.onEnd((error) => {
        this.writeLine(
          error
            ? `\x1b[31m-- the tail stopped: ${(error as Error).message ?? String(error)}\x1b[0m`
            : '\x1b[2m-- the tail ended\x1b[0m',
        );
      }),
    );
    this.tail.start();
  }

  /** Keys typed into the terminal: `/` asks for a filter, Esc clears it. */
  handleInput(data: string): void {
    if (data === '/') void vscode.commands.executeCommand('mastercopy.filterLogs', this);
    else if (data === '\x1b') this.setFilter(undefined);
  }

  setFilter(filter: { filter: LogFilter; description: string } | undefined): void {
    this.filter = filter;
    this.writeLine(
      `\x1b[2m-- ${filter ? `showing only lines matching ${filter.description}` : 'showing every line'}\x1b[0m`,
    );
  }

  get filterDescription(): string | undefined {
    return this.filter?.description;
  }

  private add(entries: readonly LogEntry[]): void {
    for (const e of entries) {
      // Match what the user sees: the text without its colour codes.
      if (e.kind === 'line' && this.filter && !this.filter.filter(e.text.replace(ANSI, '')))
        continue;
      const text = this.formatter.format(e);
      this.writeLine(e.kind === 'line' && e.stream === 'stderr' ? STDERR_BAR + text : text);
    }
  }

  private writeLine(line: string): void {
    if (!this.opened || this.isDisposed) return;
    // A ring, not an array trimmed from the front: a flood must cost O(1) a line.
    this.shownLines.push(line.replace(ANSI, ''));
    // A terminal wants \r\n; a line's own \r would return the cursor mid-line.
    this.pending.push(line.replace(/\r/g, '') + '\r\n');
    this.pendingChars += line.length + 2;
    while (this.pendingChars > MAX_PENDING_CHARS && this.pending.length > 1) {
      this.pendingChars -= this.pending.shift()!.length;
      this.dropped++;
    }
    this.flushTimer ??= setTimeout(() => this.flush(), FLUSH_MS);
  }

  private flush(): void {
    this.flushTimer = undefined;
    if (this.dropped) {
      const notice = `-- ${this.dropped} lines skipped: they came faster than the terminal could show them`;
      this.shownLines.push(notice);
      this.writeEmitter.fire(`\x1b[33m${notice}\x1b[0m\r\n`);
      this.dropped = 0;
    }
    const chunk = this.pending.join('');
    this.pending = [];
    this.pendingChars = 0;
    if (chunk) this.writeEmitter.fire(chunk);
  }

  /** The terminal was closed: stop the tail, the pending write and the events. */
  close(): void {
    this.dispose();
  }
}
