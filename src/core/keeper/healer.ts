// Cattle, not pets: the keeper keeps the number of healthy copies of the active version at
// the desired count (the newest desired-count record of that version on the engine, else
// the count its promote printed).
//
// - A copy that died (exited: killed, crashed with no restart left), was removed by hand,
//   or stays unhealthy past its health check's retries is *replaced* by a fresh copy of
//   the same image — never repaired in place — and the sick one is disposed of once the
//   replacement is healthy. Meanwhile the endpoint sends it nothing (the Keeper's rules).
// - A replacement is printed exactly as `print` would print it, from the master copy its
//   image carries; its secrets are the values its siblings run with (read from the engine),
//   so they are never written anywhere new. Without a sibling to take them from, a master
//   copy with secrets cannot be healed: said so, and left to a promote.
// - Too many copies (a scale down): the highest indices are taken out of the endpoint,
//   drained, then disposed of.
// - Replacements that keep failing (a crash loop) back off exponentially, up to
//   MAX_BACKOFF_MS, instead of a storm of new containers.
// Every action is an event in the keeper's log and in its status (the tree and `ps` show them).
import type { ContainerSummary, EngineClient } from '../engine/EngineClient';
import { EngineRequestError } from '../engine/errors';
import {
  LABEL_COPY,
  LABEL_DIGEST,
  LABEL_MANAGED,
  LABEL_MASTER_COPY,
  LABEL_NAME,
  LABEL_VERSION,
} from '../engine/labels';
import { ensureNetwork, resolveVolumeNames } from '../copies/print';
import { copyContainerSpec, copyLabels, healthTiming } from '../copies/spec';
import { readDesired } from '../deploy/desired';
import type { MasterCopy } from '../mastercopy/model';
import type { Keeper } from './keeper';
import { SettlingRunner } from '../util/coalescingRunner';

export const MAX_BACKOFF_MS = 60_000;
const FIRST_BACKOFF_MS = 1000;
const DRAIN_MS = 10_000;
const EVENTS_KEPT = 20;
const CREATED_GRACE_MS = 60_000;

export interface HealerEvent {
  /** ISO time. */
  at: string;
  text: string;
}

export interface HealingStatus {
  version: string | null;
  desired: number | null;
  /** Healthy copies serving. */
  healthy: number;
  /** Copies of the version that exist (starting, sick or draining included). */
  actual: number;
  state: 'idle' | 'steady' | 'healing' | 'scaling-down' | 'backing-off' | 'cannot-heal';
  reason?: string;
  /** ISO time the next attempt may start, while backing off. */
  backoffUntil?: string;
  /** Replacements in a row that failed. */
  failures: number;
  events: HealerEvent[];
}

interface Pending {
  id: string;
  index: number;
  /** The copy it stands in for, if any. */
  replaces?: string;
  deadline: number;
  /** Why it was printed ("replaces copy 2: exited 137"). */
  why: string;
}

export interface HealerOptions {
  name: string;
  network: string;
  log?: (line: string) => void;
  now?: () => number;
}

export class Healer {
  private readonly pending = new Map<string, Pending>();
  private readonly draining = new Map<string, number>();
  /** The active version's copies seen in the last pass (id → index), to tell a copy removed by hand. */
  private seen = new Map<string, string>();
  /** Copies removed by hand, not yet replaced: their index. */
  private removed: { id: string; index: string }[] = [];
  /** Sick copies a replacement was printed for (they go once enough copies are healthy). */
  private readonly replacedSick = new Set<string>();
  /** Copies this healer disposed of itself (not "removed by hand"). */
  private readonly disposedHere = new Set<string>();
  /** Copies a client asked to have replaced (drifted), with why: sick to the healer, still served until retired. */
  private readonly condemned = new Map<string, string>();
  private seenVersion: string | undefined;
  private readonly events: HealerEvent[] = [];
  private failures = 0;
  private backoffUntil = 0;
  private status: HealingStatus = {
    version: null,
    desired: null,
    healthy: 0,
    actual: 0,
    state: 'idle',
    failures: 0,
    events: [],
  };
  private readonly passes = new SettlingRunner(async () => {
    try {
      await this.pass();
    } catch (e) {
      this.say(`healing pass failed: ${e instanceof Error ? e.message : String(e)}`, false);
    }
  });
  private readonly masterCopies = new Map<
    string,
    { mc: MasterCopy; digest: string; tag: string } | string
  >();

  constructor(
    private readonly engine: EngineClient,
    private readonly keeper: Keeper,
    private readonly options: HealerOptions,
  ) {}

  snapshot(): HealingStatus {
    return { ...this.status, failures: this.failures, events: [...this.events] };
  }

  /**
   * Replace these copies of the active version (they drifted): each gets a fresh copy, and
   * once those are healthy it is taken out of the endpoint, drained and disposed of — the
   * endpoint serves it meanwhile, so no request fails. Returns the ids taken on (copies of
   * the active version); the others are left to the client.
   */
  async replace(ids: readonly string[], why: string): Promise<string[]> {
    const version = this.keeper.activeRecord()?.version;
    if (!version) return [];
    const all = await this.engine.listContainers({
      [LABEL_NAME]: this.options.name,
      [LABEL_VERSION]: version,
      [LABEL_COPY]: true,
    });
    const taken = ids.filter((id) => all.some((c) => c.id === id));
    for (const id of taken) if (!this.condemned.has(id)) this.condemned.set(id, why);
    if (taken.length) void this.tick();
    return taken;
  }

  /** One pass; concurrent calls share it (and one more after it). */
  tick(): Promise<void> {
    return this.passes.run();
  }

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }

  private say(text: string, event = true): void {
    this.options.log?.(text);
    if (!event) return;
    this.events.push({ at: new Date(this.now()).toISOString(), text });
    if (this.events.length > EVENTS_KEPT) this.events.splice(0, this.events.length - EVENTS_KEPT);
  }

  private async pass(): Promise<void> {
    const record = this.keeper.activeRecord();
    const version = record?.version;
    if (!version) {
      this.status = {
        version: null,
        desired: null,
        healthy: 0,
        actual: 0,
        state: 'idle',
        failures: this.failures,
        events: [],
      };
      return;
    }
    const desired =
      (await readDesired(this.engine, this.options.name)).get(version)?.count ?? record.copies;
    const all = await this.engine.listContainers({
      [LABEL_NAME]: this.options.name,
      [LABEL_VERSION]: version,
      [LABEL_COPY]: true,
    });
    if (this.seenVersion !== version) {
      this.seen.clear();
      this.removed = [];
      this.seenVersion = version;
    }
    for (const [id, index] of this.seen)
      if (!all.some((c) => c.id === id) && !this.disposedHere.has(id) && !this.draining.has(id))
        this.removed.push({ id, index });
    this.seen = new Map(all.map((c) => [c.id, c.labels[LABEL_COPY]]));
    for (const id of this.replacedSick)
      if (!all.some((c) => c.id === id)) this.replacedSick.delete(id);
    for (const id of this.condemned.keys())
      if (!all.some((c) => c.id === id)) this.condemned.delete(id);
    const source = await this.masterCopy(version);
    const timing = healthTiming(typeof source === 'string' ? undefined : source.mc.health);

    const healthy: ContainerSummary[] = [];
    const sick: { c: ContainerSummary; why: string }[] = [];
    const starting: ContainerSummary[] = [];
    for (const c of all) {
      if (this.draining.has(c.id)) continue;
      const condemned = this.condemned.get(c.id);
      const verdict = condemned ? { sick: condemned } : this.judge(c, timing);
      if (verdict === 'healthy') healthy.push(c);
      else if (verdict === 'starting') starting.push(c);
      else sick.push({ c, why: verdict.sick });
    }

    // Replacements that made it, or did not.
    for (const p of [...this.pending.values()]) {
      const c = all.find((x) => x.id === p.id);
      if (c && healthy.includes(c)) {
        this.pending.delete(p.id);
        this.failures = 0;
        this.say(`copy ${p.index} is healthy (${p.why})`);
      } else if (!c || sick.some((s) => s.c.id === p.id) || this.now() > p.deadline) {
        this.pending.delete(p.id);
        if (p.replaces) this.replacedSick.delete(p.replaces); // to be replaced again, after the backoff
        this.failures++;
        const wait = Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS * 2 ** (this.failures - 1));
        this.backoffUntil = this.now() + wait;
        this.say(
          `copy ${p.index} (${p.why}) never became healthy: ` +
            `${c ? (sick.find((s) => s.c.id === p.id)?.why ?? 'deadline passed') : 'it is gone'}; ` +
            `${this.failures} failure${this.failures === 1 ? '' : 's'} in a row, next try in ${Math.round(wait / 1000)} s`,
        );
        if (c) await this.dispose(c, 'it never became healthy');
      }
    }
    const waiting = starting.filter((c) => !this.pending.has(c.id)).length + this.pending.size;

    // Sick copies go once there are enough healthy ones without them.
    // (A condemned copy still serves: out of the endpoint and drained first.)
    if (healthy.length >= desired)
      for (const s of sick)
        if (this.condemned.has(s.c.id)) void this.retire(s.c, s.why);
        else await this.dispose(s.c, s.why);

    const base = {
      version,
      desired,
      healthy: healthy.length,
      actual: all.length,
      failures: this.failures,
    };
    const missing = desired - healthy.length - waiting;
    if (missing > 0) {
      if (this.now() < this.backoffUntil) {
        this.status = {
          ...base,
          state: 'backing-off',
          reason: `replacements keep failing; next try at ${new Date(this.backoffUntil).toISOString()}`,
          backoffUntil: new Date(this.backoffUntil).toISOString(),
          events: [],
        };
        return;
      }
      if (typeof source === 'string') {
        this.status = { ...base, state: 'cannot-heal', reason: source, events: [] };
        return;
      }
      const sibling = await this.sibling(all);
      const secrets = sibling
        ? this.secretsOf(source.mc, sibling.env)
        : source.mc.secrets?.length
          ? undefined
          : {};
      if (!secrets) {
        const cause = source.mc.secrets?.length
          ? 'its secrets are only known to its copies, and none is left to take them from'
          : 'no copy is left';
        const reason = `${cause}: promote ${version} again`;
        this.status = { ...base, state: 'cannot-heal', reason, events: [] };
        return;
      }
      // What each new copy stands in for: a sick copy not covered yet, a copy removed by hand, or the count.
      const covered = new Set([
        ...[...this.pending.values()].map((p) => p.replaces),
        ...this.replacedSick,
      ]);
      const reasons = [
        ...sick
          .filter((x) => !covered.has(x.c.id))
          .map((x) => ({
            replaces: x.c.id,
            why: `replaces copy ${x.c.labels[LABEL_COPY]}: ${x.why}`,
          })),
        ...this.removed.map((r) => ({ replaces: r.id, why: `replaces copy ${r.index}: removed` })),
      ];
      for (let i = 0; i < Math.min(missing, 3); i++) {
        const reason = reasons[i] ?? {
          replaces: undefined,
          why: `${healthy.length + waiting + i} of ${desired} running`,
        };
        if (
          await this.print(source, version, all, secrets, sibling?.labels ?? {}, reason, timing)
        ) {
          this.removed = this.removed.filter((r) => r.id !== reason.replaces);
          // A sick copy stays until there are enough healthy ones without it: replaced once, not again meanwhile.
          if (reason.replaces && sick.some((x) => x.c.id === reason.replaces))
            this.replacedSick.add(reason.replaces);
        }
      }
      this.status = { ...base, state: 'healing', events: [] };
      return;
    }
    if (healthy.length > desired && waiting === 0 && sick.length === 0) {
      const extra = healthy
        .sort((a, b) => Number(b.labels[LABEL_COPY]) - Number(a.labels[LABEL_COPY]))
        .slice(0, healthy.length - desired);
      for (const c of extra) void this.scaleDown(c, `${healthy.length} running, ${desired} wanted`);
      this.status = { ...base, state: 'scaling-down', events: [] };
      return;
    }
    this.status = {
      ...base,
      state: waiting || sick.length || this.draining.size ? 'healing' : 'steady',
      events: [],
    };
  }

  /** healthy, starting (give it time), or sick with why. */
  private judge(
    c: ContainerSummary,
    timing: ReturnType<typeof healthTiming>,
  ): 'healthy' | 'starting' | { sick: string } {
    // "Exited (137) 3 seconds ago" → "exited 137"
    if (c.status === 'exited' || c.status === 'dead')
      return {
        sick:
          /^Exited \((-?\d+)\)/
            .exec(c.statusText)
            ?.slice(1, 2)
            .map((code) => `exited ${code}`)[0] ?? c.status,
      };
    // A print (ours or a client's) creates, then starts: only one left unstarted for long is sick.
    if (c.status === 'created')
      return this.pending.has(c.id) || this.now() - c.created < CREATED_GRACE_MS
        ? 'starting'
        : { sick: 'created but never started' };
    if (c.status === 'restarting') return 'starting';
    if (c.status !== 'running') return 'starting';
    const t = this.keeper.copy(c.id);
    if (!t) return 'starting'; // not read yet (or not on the network yet)
    if (t.healthy) return 'healthy';
    if (t.restartCount >= 3) return { sick: `restarted ${t.restartCount} times and not healthy` };
    const age = this.now() - (t.startedAt ? Date.parse(t.startedAt) : this.now());
    if (t.engineHealth === 'unhealthy') return { sick: 'its health command keeps failing' };
    // Past what takes it out of the endpoint (3 failures), by the health check's own retries: a
    // copy that is only slow under load is not replaced.
    if (t.probe && age > timing.startPeriodMs && t.failures >= 3 + Math.max(1, timing.retries))
      return { sick: `unhealthy: ${t.last}` };
    return 'starting';
  }

  /** The master copy a version's image carries, or why it cannot be had. Cached per version. */
  private async masterCopy(
    version: string,
  ): Promise<{ mc: MasterCopy; digest: string; tag: string } | string> {
    const known = this.masterCopies.get(version);
    if (known) return known;
    const tag = `${this.options.name}:${version}`;
    const image = await this.engine.inspectImage(tag);
    let result: { mc: MasterCopy; digest: string; tag: string } | string;
    if (!image)
      result = `the image ${tag} is gone, so no copy can be printed: promote ${version} again`;
    else {
      try {
        result = {
          mc: JSON.parse(image.labels[LABEL_MASTER_COPY] ?? '') as MasterCopy,
          digest: image.labels[LABEL_DIGEST] ?? '',
          tag,
        };
      } catch {
        result = `${tag} does not carry its master copy (built by an older Master Copy): promote it again to have it healed`;
      }
    }
    if (typeof result !== 'string') this.masterCopies.set(version, result);
    return result;
  }

  /** A copy of the version to take secrets and extra labels from: a running one first. */
  private async sibling(
    all: ContainerSummary[],
  ): Promise<{ env: string[]; labels: Record<string, string> } | undefined> {
    const ordered = [...all].sort(
      (a, b) => Number(b.status === 'running') - Number(a.status === 'running'),
    );
    for (const c of ordered) {
      const details = await this.engine.inspectContainer(c.id);
      if (details) return { env: details.env, labels: details.labels };
    }
    return undefined;
  }

  private secretsOf(mc: MasterCopy, env: string[]): Record<string, string> | undefined {
    const out: Record<string, string> = {};
    for (const secret of mc.secrets ?? []) {
      const entry = env.find((e) => e.startsWith(`${secret.name}=`));
      if (entry === undefined) return undefined;
      out[secret.name] = entry.slice(secret.name.length + 1);
    }
    return out;
  }

  private async print(
    source: { mc: MasterCopy; digest: string; tag: string },
    version: string,
    all: ContainerSummary[],
    secrets: Record<string, string>,
    siblingLabels: Record<string, string>,
    reason: { replaces: string | undefined; why: string },
    timing: ReturnType<typeof healthTiming>,
  ): Promise<boolean> {
    const { why } = reason;
    // The sibling's labels that print did not derive from the master copy (a test run's, say) stay.
    const derived = new Set([
      ...Object.keys(copyLabels(source.mc, source.digest, 0)),
      LABEL_MANAGED,
    ]);
    const extraLabels = Object.fromEntries(
      Object.entries(siblingLabels).filter(([k]) => !derived.has(k)),
    );
    let index =
      Math.max(
        -1,
        ...all.map((c) => Number(c.labels[LABEL_COPY] ?? -1)),
        ...[...this.pending.values()].map((p) => p.index),
      ) + 1;
    for (let attempt = 0; attempt < 5; attempt++, index++) {
      const network = await ensureNetwork(this.engine, this.options.name, {});
      const volumeNames = await resolveVolumeNames(this.engine, source.mc);
      const spec = copyContainerSpec(source.mc, {
        image: source.tag,
        digest: source.digest,
        index,
        network: network.id,
        secrets,
        extraLabels,
        volumeNames,
      });
      try {
        const { id } = await this.engine.createAndStartContainer(spec);
        this.pending.set(id, {
          id,
          index,
          why,
          replaces: reason.replaces,
          deadline:
            this.now() +
            timing.startPeriodMs +
            (timing.retries + 1) * (timing.intervalMs + timing.timeoutMs) +
            5000,
        });
        this.say(`printed copy ${index} of ${version} (${why})`);
        return true;
      } catch (e) {
        if (e instanceof EngineRequestError && e.statusCode === 409) continue; // that index was taken meanwhile
        this.failures++;
        this.backoffUntil =
          this.now() + Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS * 2 ** (this.failures - 1));
        this.say(
          `could not print a copy of ${version} (${why}): ${e instanceof Error ? e.message : String(e)}`,
        );
        return false;
      }
    }
    return false;
  }

  private async dispose(c: ContainerSummary, why: string): Promise<void> {
    const index = c.labels[LABEL_COPY];
    try {
      this.disposedHere.add(c.id);
      await this.engine.stopAndRemoveContainer(
        c.id,
        {
          [LABEL_NAME]: this.options.name,
          [LABEL_VERSION]: c.labels[LABEL_VERSION],
          [LABEL_COPY]: index,
        },
        { stopTimeoutSeconds: 5 },
      );
      this.say(`disposed of copy ${index} (${why})`);
    } catch (e) {
      this.say(
        `could not dispose of copy ${index}: ${e instanceof Error ? e.message : String(e)}`,
        false,
      );
    }
  }

  /** Out of the endpoint, drained (up to DRAIN_MS), then disposed of. */
  private scaleDown(c: ContainerSummary, why: string): Promise<void> {
    return this.retire(c, `scaled down: ${why}`);
  }

  private async retire(c: ContainerSummary, why: string): Promise<void> {
    if (this.draining.has(c.id)) return;
    this.draining.set(c.id, this.now());
    this.keeper.drain(c.id);
    const deadline = this.now() + DRAIN_MS;
    while ((this.keeper.copy(c.id)?.open ?? 0) > 0 && this.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    await this.dispose(c, why);
    this.draining.delete(c.id);
  }
}
