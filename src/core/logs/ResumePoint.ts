// Where a copy's log was when its connection ended, so that the next connection (after
// the copy or the engine restarted) neither repeats nor loses a line. The engine replays
// a log in the order it stored it, so: remember the last message's timestamp and how many
// messages had exactly that timestamp; ask again from the whole second before it; drop
// what comes before it and that many messages with it; keep everything from there on.
// Equal timestamps are counted, not compared by text: two identical lines in the same
// nanosecond are both kept.
import { secondsAtOrBefore } from './timestamp';

export class ResumePoint {
  private key: string | undefined;
  private count = 0;
  private skipping = false;
  private skipped = 0;

  /** The decoder's `accept`: false for a message this copy's tail has already delivered. */
  readonly accept = (key: string): boolean => {
    if (this.skipping) {
      const last = this.key as string;
      if (key < last) return false;
      if (key === last && this.skipped < this.count) {
        this.skipped++;
        if (this.skipped === this.count) this.skipping = false;
        return false;
      }
      // Past it (or it is gone from the log: rotated away): everything from here is new.
      this.skipping = false;
    }
    if (key === this.key) this.count++;
    else {
      this.key = key;
      this.count = 1;
    }
    return true;
  };

  /** Has any message been delivered? */
  get started(): boolean {
    return this.key !== undefined;
  }

  /** Before a new connection: the `since` to ask for (whole seconds), and start skipping. */
  resume(): number | undefined {
    if (this.key === undefined) return undefined;
    this.skipping = true;
    this.skipped = 0;
    return secondsAtOrBefore(this.key);
  }
}
