// A master copy → the spec of its Swarm service. Pure: no engine, no file system.
//
// One service per master copy (`mastercopy-NAME`), not one per version: a rolling update
// (start-first, failure_action rollback) is Swarm changing one service's spec, and only
// one service can hold a published port (the gateway's), so a service per version would
// mean doing blue/green ourselves again and losing Swarm's own rollback.
//
// What differs from a copy of the local target (src/core/copies/spec.ts), and why:
//  - secrets are Swarm secrets, each the file /run/secrets/NAME in every task; the env
//    holds only NAME_FILE=/run/secrets/NAME (the value is never in the service spec,
//    which anybody who can inspect the service reads);
//  - `health.http` becomes the service's health check, run inside each task with the
//    image's sh and wget (or curl): Swarm judges health where the task runs, on any node,
//    and the keeper's probe (a GET from beside the copy) has no place there;
//  - ports publish on every node (ingress) or on the task's node (host), never 127.0.0.1:
//    Swarm has no host address for a published port;
//  - the restart policy: `no` is Swarm's `none`, `always` and `unless-stopped` its `any`;
//    with none given it is `any`, since Swarm is the keeper here (it keeps the count).
import { createHash } from 'node:crypto';
import { commandArgs } from '../build/dockerfile';
import {
  DEFAULT_TMPFS,
  healthCheckSpec,
  healthTiming,
  memoryBytes,
  networkName,
  volumeName,
} from '../copies/spec';
import type {
  HealthCheckSpec,
  ServicePort,
  ServiceSpec,
  ServiceUpdatePolicy,
} from '../engine/EngineClient';
import { LABEL_DIGEST, LABEL_ROLE } from '../engine/labels';
import { normalizePort, type MasterCopy, type Runtime } from '../mastercopy/model';
import { setOwn } from '../util/ownProperty';
import { versionLabels } from '../copies/spec';

/** On a task's container: the master copy it is a replica of (not LABEL_NAME: the local target would count it as a copy). */
export const LABEL_SERVICE_OF = 'io.mastercopy.service-of';
/** On a task's container: the version it runs. */
export const LABEL_SERVICE_VERSION = 'io.mastercopy.service-version';
/** On a secret: which of the master copy's secrets it holds. */
export const LABEL_SECRET = 'io.mastercopy.secret';
export const ROLE_SERVICE = 'service';
export const ROLE_TASK = 'task';
export const ROLE_SECRET = 'secret';
export const ROLE_SWARM_NETWORK = 'swarm-network';

/** Where the secrets are in a task. */
export const SECRETS_DIR = '/run/secrets';

export type PublishMode = 'ingress' | 'host';

/** The service of a master copy. */
export function serviceName(name: string): string {
  return `mastercopy-${name}`;
}

/** The overlay network of a master copy on the Swarm target (the local target's bridge network has the same name). */
export const swarmNetworkName = networkName;

/**
 * A Swarm secret's name: the master copy, the secret and a hash of the value, so that a
 * changed value is a new secret (a secret's data cannot change) and the same value the
 * same one. The hash is keyed by both names and cut to 12 hex digits: it tells versions
 * apart, it is no way to learn the value. Swarm allows 64 characters.
 */
export function swarmSecretName(name: string, secret: string, value: string): string {
  const hash = createHash('sha256')
    .update(`${name}\0${secret}\0${value}`)
    .digest('hex')
    .slice(0, 12);
  const full = `mastercopy.${name}.${secret}.${hash}`;
  if (full.length <= 64) return full;
  const key = createHash('sha256').update(`${name}\0${secret}`).digest('hex').slice(0, 16);
  return `mastercopy.${key}.${hash}`;
}

/** The variable that names a secret's file in a task: `NAME_FILE`. */
export function secretFileVariable(secret: string): string {
  return `${secret}_FILE`;
}

/**
 * How long Swarm watches each new task before it takes the next: the health check's start
 * period plus `retries` intervals, the time a task that never gets healthy takes to fail.
 */
export function monitorMs(mc: Pick<MasterCopy, 'health'>): number {
  if (!mc.health) return 5000;
  const t = healthTiming(mc.health);
  return t.startPeriodMs + t.retries * t.intervalMs;
}

/**
 * The update (and rollback) policy: one task at a time, the new one started before the old
 * one stops, a failure rolls back. A port fixed on the node (host mode with a published
 * port) can be held by one task per node only, so there the old task must stop first.
 */
export function updatePolicy(
  mc: Pick<MasterCopy, 'health'>,
  ports: readonly ServicePort[],
): { update: ServiceUpdatePolicy; rollback: ServiceUpdatePolicy } {
  const fixedHostPort = ports.some((p) => p.mode === 'host' && p.published !== undefined);
  const base = {
    parallelism: 1,
    order: fixedHostPort ? ('stop-first' as const) : ('start-first' as const),
    monitorMs: monitorMs(mc),
  };
  // A rollback's own failure can only pause (Swarm has no rollback of a rollback).
  return {
    update: { ...base, failureAction: 'rollback' },
    rollback: { ...base, failureAction: 'pause' },
  };
}

/** The ports the service publishes: each of `ports` (on its hostPort if fixed), and gateway.port → gateway.target. */
export function servicePorts(mc: MasterCopy, mode: PublishMode): ServicePort[] {
  const out: ServicePort[] = [];
  const gatewayTarget = mc.gateway ? (mc.gateway.target ?? mc.gateway.port) : undefined;
  for (const entry of mc.ports ?? []) {
    const { port, protocol, hostPort } = normalizePort(entry);
    // The gateway's target is published on gateway.port: once is enough.
    if (port === gatewayTarget && protocol === 'tcp') continue;
    out.push({ target: port, published: hostPort, protocol, mode });
  }
  if (mc.gateway && gatewayTarget !== undefined)
    out.push({ target: gatewayTarget, published: mc.gateway.port, protocol: 'tcp', mode });
  return out;
}

/** `health.command` as is; `health.http` as a GET from inside the task (see the header). */
export function serviceHealthCheck(mc: MasterCopy): HealthCheckSpec | undefined {
  const health = mc.health;
  if (!health) return undefined;
  if (health.command !== undefined) return healthCheckSpec(health.command, health);
  if (!health.http) return undefined;
  const t = healthTiming(health);
  const url = `http://127.0.0.1:${health.http.port}${health.http.path ?? '/'}`;
  const seconds = String(Math.max(1, Math.ceil(t.timeoutMs / 1000)));
  // The URL and the timeout are arguments ($1, $2), never part of the script: no value of the master copy is run as shell code.
  // No `wget -T`: the static busybox wget of these machines crashes with it; the check's own timeout bounds it.
  const script =
    'if command -v wget >/dev/null; then exec wget -q -O /dev/null "$1"; fi; exec curl -fsS -m "$2" -o /dev/null "$1"';
  return { ...t, command: ['sh', '-c', script, 'mastercopy-health', url, seconds] };
}

/** Swarm's restart condition for `runtime.restart`. */
export function restartCondition(restart: Runtime['restart']): ServiceSpec['restart']['condition'] {
  if (restart === 'no') return 'none';
  if (restart === 'on-failure') return 'on-failure';
  return 'any';
}

export interface ServiceSpecInput {
  /** The image reference every node can run: NAME:VERSION, or the registry's. */
  image: string;
  digest: string;
  replicas: number;
  /** The overlay network's id. */
  network: string;
  /** The Swarm secret of each of the master copy's secrets, by secret name. */
  secrets?: Readonly<Record<string, { id: string; name: string }>>;
  publishMode?: PublishMode;
  /** More labels on the service (a test run's); ours win a clash. */
  extraLabels?: Readonly<Record<string, string>>;
}

/** The labels of the service: the master copy's, then ours. */
export function serviceLabels(
  mc: MasterCopy,
  digest: string,
  extra: Readonly<Record<string, string>> = {},
): Record<string, string> {
  const labels = versionLabels(mc, digest, extra);
  labels[LABEL_ROLE] = ROLE_SERVICE;
  return labels;
}

/** The service spec of `mc`. */
export function serviceSpec(mc: MasterCopy, input: ServiceSpecInput): ServiceSpec {
  const runtime = mc.runtime ?? {};
  const ports = servicePorts(mc, input.publishMode ?? 'ingress');
  const containerLabels: Record<string, string> = {};
  for (const [k, v] of Object.entries(mc.labels ?? {})) setOwn(containerLabels, k, String(v));
  containerLabels[LABEL_SERVICE_OF] = mc.name;
  containerLabels[LABEL_SERVICE_VERSION] = mc.version;
  containerLabels[LABEL_DIGEST] = input.digest;
  containerLabels[LABEL_ROLE] = ROLE_TASK;
  const spec: ServiceSpec = {
    name: serviceName(mc.name),
    labels: serviceLabels(mc, input.digest, input.extraLabels),
    image: input.image,
    replicas: input.replicas,
    containerLabels,
    readOnly: runtime.readOnly ?? true,
    tmpfs: runtime.tmpfs ?? DEFAULT_TMPFS,
    capDrop: runtime.capabilities?.drop ?? ['ALL'],
    capAdd: runtime.capabilities?.add ?? [],
    noNewPrivileges: runtime.noNewPrivileges ?? true,
    init: true,
    memoryBytes: runtime.memory !== undefined ? memoryBytes(runtime.memory) : undefined,
    cpus: runtime.cpus,
    restart: { condition: restartCondition(runtime.restart) },
    healthCheck: serviceHealthCheck(mc),
    volumes: (mc.volumes ?? []).map((v) => ({
      name: volumeName(mc.name, v.name),
      path: v.path,
      readOnly: v.readOnly ?? false,
    })),
    networks: [input.network],
    ports,
    ...updatePolicy(mc, ports),
  };
  const env: Record<string, string> = {};
  if (mc.dockerfile !== undefined) {
    // A user's Dockerfile knows nothing of these: applied when the task runs.
    for (const [k, v] of Object.entries(mc.env ?? {})) setOwn(env, k, String(v));
    if (mc.user !== undefined) spec.user = mc.user;
    if (mc.workdir !== undefined) spec.workdir = mc.workdir;
    if (mc.entrypoint !== undefined) spec.entrypoint = commandArgs(mc.entrypoint);
    if (mc.command !== undefined) spec.command = commandArgs(mc.command);
  }
  spec.secrets = [];
  for (const s of mc.secrets ?? []) {
    const swarm = input.secrets?.[s.name];
    if (!swarm) throw new Error(`no Swarm secret for ${s.name}`);
    spec.secrets.push({ id: swarm.id, name: swarm.name, file: s.name });
    setOwn(env, secretFileVariable(s.name), `${SECRETS_DIR}/${s.name}`);
  }
  if (Object.keys(env).length) spec.env = env;
  return spec;
}
