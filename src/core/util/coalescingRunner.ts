// One run of an async job at a time. A call made while a run is going returns that run's
// promise and asks for exactly one more run after it, however many calls came: a burst of
// requests (engine events, edits) costs two runs, and the last one starts after them all.
export class CoalescingRunner {
  private inFlight?: Promise<void>;
  private again = false;

  constructor(private readonly job: () => Promise<void>) {}

  /** Whether a run is going. */
  get running(): boolean {
    return this.inFlight !== undefined;
  }

  run(): Promise<void> {
    if (this.inFlight) {
      this.again = true;
      return this.inFlight;
    }
    this.inFlight = this.job().finally(() => {
      this.inFlight = undefined;
      if (this.again) {
        this.again = false;
        void this.run().catch(() => undefined); // its caller has its answer; the next caller gets this run's
      }
    });
    return this.inFlight;
  }
}

/**
 * One run at a time, like CoalescingRunner, but a call made during a run resolves only
 * after one more run that starts after it: the caller is sure to see what it called for
 * (the keeper's `reload` after a ledger record is written).
 */
export class SettlingRunner {
  private inFlight?: Promise<void>;
  private again = false;

  constructor(private readonly job: () => Promise<void>) {}

  run(): Promise<void> {
    if (this.inFlight) {
      this.again = true;
      return this.inFlight;
    }
    this.inFlight = (async () => {
      try {
        do {
          this.again = false;
          await this.job();
        } while (this.again);
      } finally {
        this.inFlight = undefined;
      }
    })();
    return this.inFlight;
  }
}
