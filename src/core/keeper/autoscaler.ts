// Autoscaling, in the keeper: the active version is scaled between its policy's `min` and
// `max` on its targets, the way Kubernetes' HorizontalPodAutoscaler does it. Each target
// asks for ceil(total / target) copies — 31 open connections on a target of 10 ask for 4 —
// the largest ask wins, kept within the bounds.
// Each tick (a second, in the keeper) is one reading.
// - Up as soon as a reading asks for more, at most one decision per cooldown.
// - Down only once every ask for a whole cooldown was lower (the traffic has been low for
//   that long), to the highest of those asks, and a cooldown after the last decision.
// - A count out of bounds (a new policy) is corrected at once.
// The promote that made a version active counts as a decision: the first one waits a cooldown.
// A decision is a desired-count record (by "autoscale", with its reason in words); the
// healer does the work: new copies join the endpoint once healthy, extra ones are taken
// out of it, drained, then disposed of. A dry run decides the same way, changes nothing,
// and says what it would have done.
import { cpuPercent, type CpuSample, type EngineClient } from '../engine/EngineClient';
import { durationMs } from '../copies/spec';
import { readDesired, setDesired } from '../deploy/desired';
import type { Autoscale } from '../mastercopy/model';
import { SettlingRunner } from '../util/coalescingRunner';
import type { Keeper } from './keeper';

export const DEFAULT_COOLDOWN_MS = 30_000;
const DECISIONS_KEPT = 10;

export interface AutoscaleReading {
  /** Healthy copies serving. */
  serving: number;
  /** Open connections through the endpoint to the version's copies. */
  open: number;
  /** CPU percent of the version's copies, summed (100 = one core); undefined before two samples. */
  cpu?: number;
}

export interface Recommendation {
  count: number;
  /** "31 open connections over 3 copies, target 10" */
  why: string;
}

/** What the targets ask for, within the bounds, and why; undefined while no target can be read. */
export function recommend(
  policy: Autoscale,
  reading: AutoscaleReading,
): Recommendation | undefined {
  const over = `over ${reading.serving} cop${reading.serving === 1 ? 'y' : 'ies'}`;
  const asks: Recommendation[] = [];
  if (policy.inflight !== undefined) {
    const open = tidy(reading.open);
    asks.push({
      count: Math.ceil(reading.open / policy.inflight),
      why: `${open} open connection${open === 1 ? '' : 's'} ${over}, target ${policy.inflight}`,
    });
  }
  if (policy.cpu !== undefined && reading.cpu !== undefined)
    asks.push({
      count: Math.ceil(reading.cpu / policy.cpu),
      why: `${Math.round(reading.cpu)} % CPU ${over}, target ${policy.cpu} %`,
    });
  if (asks.length === 0) return undefined;
  const top = asks.reduce((a, b) => (b.count > a.count ? b : a));
  if (top.count > policy.max)
    return { count: policy.max, why: `${top.why} (at most ${policy.max})` };
  if (top.count < policy.min)
    return { count: policy.min, why: `${top.why} (at least ${policy.min})` };
  return top;
}

/** "1–5 copies on 10 open connections per copy (cooldown 30s)", or "none (a fixed count)". */
export function autoscaleText(a: Autoscale | null | undefined): string {
  if (!a) return 'none (a fixed count)';
  const targets = [
    a.inflight !== undefined ? `${a.inflight} open connections` : undefined,
    a.cpu !== undefined ? `${a.cpu} % CPU` : undefined,
  ]
    .filter(Boolean)
    .join(' or ');
  return `${a.min}–${a.max} copies on ${targets} per copy (cooldown ${a.cooldown ?? '30s'}${a.dryRun ? ', dry run' : ''})`;
}

export interface AutoscaleDecision {
  version: string;
  /** ISO time. */
  at: string;
  from: number;
  to: number;
  /** "3 → 4: 31 open connections over 3 copies, target 10" */
  reason: string;
  /** False in a dry run: it was only reported. */
  applied: boolean;
}

export interface AutoscaleStatus {
  version: string;
  policy: Autoscale;
  /** The count in force (in a dry run: the count it would have set). */
  desired: number;
  serving: number;
  /** What the targets ask for now. */
  recommended: number;
  reading: AutoscaleReading;
  /** Why no decision is made now, when the targets ask for a change. */
  waiting?: string;
  /** Newest last (of earlier versions too). */
  decisions: AutoscaleDecision[];
}

export interface AutoscalerOptions {
  name: string;
  log?: (line: string) => void;
  now?: () => number;
  /** Called after a decision was applied (the healer acts on it). */
  onDecision?: () => void;
}

export class Autoscaler {
  private key: string | undefined;
  private lastDecisionAt = 0;
  /** Since when every ask was below the count, and the highest of them. */
  private low: { since: number; highest: number } | undefined;
  /** A dry run's count: what it would have set. */
  private wouldBe: number | undefined;
  private cpuBefore = new Map<string, CpuSample>();
  private decisions: AutoscaleDecision[] = [];
  private status: Omit<AutoscaleStatus, 'decisions'> | undefined;
  private readonly passes = new SettlingRunner(async () => {
    try {
      await this.pass();
    } catch (e) {
      this.options.log?.(`autoscaling pass failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  });

  constructor(
    private readonly engine: EngineClient,
    private readonly keeper: Pick<Keeper, 'activeRecord' | 'status'>,
    private readonly options: AutoscalerOptions,
  ) {}

  /** The policy in force and the last decisions; undefined when the active version has none. */
  snapshot(): AutoscaleStatus | undefined {
    return this.status && { ...this.status, decisions: [...this.decisions] };
  }

  /** One sample and, if due, one decision; concurrent calls share it. */
  tick(): Promise<void> {
    return this.passes.run();
  }

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }

  private async pass(): Promise<void> {
    const record = this.keeper.activeRecord();
    const policy = record?.autoscale;
    if (!record || !policy) {
      this.status = undefined;
      this.key = undefined;
      return;
    }
    const now = this.now();
    const key = `${record.version} ${JSON.stringify(policy)}`;
    if (key !== this.key) {
      // A new version or policy: its promote just set the count.
      this.key = key;
      this.low = undefined;
      this.wouldBe = undefined;
      this.lastDecisionAt = now;
    }
    const copies = this.keeper.status().copies.filter((c) => c.version === record.version);
    const serving = copies.filter((c) => c.healthy).length;
    const reading: AutoscaleReading = {
      serving,
      open: copies.reduce((sum, c) => sum + c.open, 0),
      cpu: policy.cpu === undefined ? undefined : await this.cpu(copies.map((c) => c.id)),
    };

    const desired =
      (await readDesired(this.engine, this.options.name)).get(record.version)?.count ??
      record.copies;
    const current = policy.dryRun ? (this.wouldBe ??= desired) : desired;
    // No reading (a CPU target before two samples, or stats the engine does not give): no
    // ask, so nothing but the bounds is acted on.
    const rec = recommend(policy, reading) ?? { count: current, why: 'no reading yet' };
    const base = {
      version: record.version,
      policy,
      desired: current,
      serving,
      recommended: rec.count,
      reading,
    };
    const cooldownMs = durationMs(policy.cooldown, DEFAULT_COOLDOWN_MS);

    this.low =
      rec.count < current
        ? { since: this.low?.since ?? now, highest: Math.max(this.low?.highest ?? 0, rec.count) }
        : undefined;
    let to: number | undefined;
    let why = rec.why;
    let waiting: string | undefined;
    if (current < policy.min || current > policy.max) {
      to = Math.min(policy.max, Math.max(policy.min, current));
      why =
        current < policy.min
          ? `below the minimum of ${policy.min}`
          : `above the maximum of ${policy.max}`;
    } else if (serving === 0 && rec.count < current) {
      // Probes may all fail under overload (the endpoint then tries every copy): never a
      // reason to scale down, and a scale up goes on.
      waiting = 'no copy passes its health check now';
    } else if (rec.count !== current && now - this.lastDecisionAt < cooldownMs) {
      waiting = `cooling down until ${new Date(this.lastDecisionAt + cooldownMs).toISOString()}`;
    } else if (rec.count > current) {
      to = rec.count;
    } else if (this.low && now - this.low.since >= cooldownMs) {
      to = this.low.highest;
      why = `${why}${to !== rec.count ? `; asked for at most ${to} over the last ${policy.cooldown ?? '30s'}` : ''}`;
    } else if (this.low) {
      waiting = `scaling down once it stays low until ${new Date(this.low.since + cooldownMs).toISOString()}`;
    }
    this.status = { ...base, waiting };
    if (to === undefined || to === current) return;

    const reason = `${current} → ${to}: ${why}`;
    const decision: AutoscaleDecision = {
      version: record.version,
      at: new Date(now).toISOString(),
      from: current,
      to,
      reason,
      applied: !policy.dryRun,
    };
    this.lastDecisionAt = now;
    this.low = undefined;
    if (policy.dryRun) {
      this.wouldBe = to;
      this.options.log?.(`autoscale (dry run) would scale ${record.version} ${reason}`);
    } else {
      await setDesired(this.engine, this.options.name, {
        version: record.version,
        count: to,
        by: 'autoscale',
        reason,
      });
      this.options.log?.(`autoscale: ${record.version} ${reason}`);
    }
    this.decisions = [...this.decisions, decision].slice(-DECISIONS_KEPT);
    this.status = { ...base, desired: to, waiting: undefined };
    if (decision.applied) this.options.onDecision?.();
  }

  /** The copies' CPU percent summed, from this sample and the one before; undefined on the first. */
  private async cpu(ids: string[]): Promise<number | undefined> {
    const samples = await Promise.all(
      ids.map(async (id) => [id, await this.engine.cpuSample(id).catch(() => undefined)] as const),
    );
    let total: number | undefined;
    const next = new Map<string, CpuSample>();
    for (const [id, s] of samples) {
      if (!s) continue;
      next.set(id, s);
      const before = this.cpuBefore.get(id);
      const percent = before && cpuPercent(before, s);
      if (percent !== undefined) total = (total ?? 0) + percent;
    }
    this.cpuBefore = next;
    return total;
  }
}

/** 31, or 2.3: a reading as a person reads it. */
function tidy(n: number): number {
  return Math.round(n * 10) / 10;
}
