// The engine's Swarm records (info, service, task, secret), read like dockerRecords.ts
// reads the others: each schema names only what its normaliser reads, and a record that
// does not fit fails with MalformedRecordError naming the field.
import * as z from 'zod/mini';
import type {
  SecretSummary,
  ServiceDetails,
  ServicePort,
  SwarmInfo,
  TaskSummary,
} from './EngineClient';
import { MalformedRecordError } from './dockerRecords';

const labels = z.nullish(z.record(z.string(), z.string()));

function parse<S extends z.ZodMiniType>(record: string, schema: S, raw: unknown): z.infer<S> {
  const result = schema.safeParse(raw);
  if (result.success) return result.data;
  throw new MalformedRecordError(
    record,
    result.error.issues
      .slice(0, 5)
      .map((i) => `${i.path.join('.') || '(the record)'}: ${i.message}`),
  );
}

const port = z.object({
  TargetPort: z.number(),
  PublishedPort: z.optional(z.number()),
  Protocol: z.optional(z.string()),
  PublishMode: z.optional(z.string()),
});
const ports = z.nullish(z.array(port));

function servicePorts(list: z.infer<typeof ports>): ServicePort[] {
  return (list ?? []).map((p) => ({
    target: p.TargetPort,
    published: p.PublishedPort || undefined,
    protocol: p.Protocol === 'udp' ? 'udp' : 'tcp',
    mode: p.PublishMode === 'host' ? 'host' : 'ingress',
  }));
}

const INFO = z.object({
  Swarm: z.optional(
    z.object({
      LocalNodeState: z.optional(z.string()),
      NodeID: z.optional(z.string()),
      ControlAvailable: z.optional(z.boolean()),
      Nodes: z.nullish(z.number()),
      Managers: z.nullish(z.number()),
    }),
  ),
});

/** From GET /info. */
export function swarmInfo(raw: unknown): SwarmInfo {
  const s = parse('system info', INFO, raw).Swarm;
  return {
    state: s?.LocalNodeState || 'inactive',
    nodeId: s?.NodeID ?? '',
    controlAvailable: s?.ControlAvailable ?? false,
    nodes: s?.Nodes ?? 0,
    managers: s?.Managers ?? 0,
  };
}

const SERVICE = z.object({
  ID: z.string(),
  Version: z.object({ Index: z.number() }),
  CreatedAt: z.string(),
  UpdatedAt: z.string(),
  Spec: z.object({
    Name: z.string(),
    Labels: labels,
    TaskTemplate: z.object({
      ContainerSpec: z.optional(z.object({ Image: z.optional(z.string()) })),
    }),
    Mode: z.optional(
      z.object({ Replicated: z.optional(z.object({ Replicas: z.optional(z.number()) })) }),
    ),
  }),
  Endpoint: z.optional(z.object({ Ports: ports })),
  UpdateStatus: z.nullish(
    z.object({
      State: z.optional(z.string()),
      Message: z.optional(z.string()),
      StartedAt: z.optional(z.string()),
    }),
  ),
});

/** From GET /services and /services/{id}. */
export function serviceDetails(raw: unknown): ServiceDetails {
  const s = parse('service', SERVICE, raw);
  return {
    id: s.ID,
    name: s.Spec.Name,
    labels: s.Spec.Labels ?? {},
    version: s.Version.Index,
    image: s.Spec.TaskTemplate.ContainerSpec?.Image ?? '',
    replicas: s.Spec.Mode?.Replicated?.Replicas ?? 0,
    updateStatus: s.UpdateStatus?.State
      ? {
          state: s.UpdateStatus.State,
          message: s.UpdateStatus.Message || undefined,
          startedAt: s.UpdateStatus.StartedAt,
        }
      : undefined,
    ports: servicePorts(s.Endpoint?.Ports),
    createdAt: s.CreatedAt,
    updatedAt: s.UpdatedAt,
  };
}

const TASK = z.object({
  ID: z.string(),
  ServiceID: z.string(),
  Slot: z.optional(z.number()),
  NodeID: z.optional(z.string()),
  DesiredState: z.string(),
  CreatedAt: z.string(),
  UpdatedAt: z.string(),
  Spec: z.object({
    ContainerSpec: z.optional(z.object({ Image: z.optional(z.string()), Labels: labels })),
  }),
  Status: z.object({
    State: z.string(),
    Message: z.optional(z.string()),
    Err: z.optional(z.string()),
    ContainerStatus: z.optional(z.object({ ContainerID: z.optional(z.string()) })),
    PortStatus: z.optional(z.object({ Ports: ports })),
  }),
});

/** From GET /tasks. */
export function taskSummary(raw: unknown): TaskSummary {
  const t = parse('task', TASK, raw);
  return {
    id: t.ID,
    serviceId: t.ServiceID,
    slot: t.Slot ?? 0,
    nodeId: t.NodeID ?? '',
    desiredState: t.DesiredState,
    state: t.Status.State,
    message: t.Status.Message ?? '',
    error: t.Status.Err || undefined,
    containerId: t.Status.ContainerStatus?.ContainerID || undefined,
    image: t.Spec.ContainerSpec?.Image ?? '',
    labels: t.Spec.ContainerSpec?.Labels ?? {},
    ports: servicePorts(t.Status.PortStatus?.Ports),
    createdAt: t.CreatedAt,
    updatedAt: t.UpdatedAt,
  };
}

const SECRET = z.object({ ID: z.string(), Spec: z.object({ Name: z.string(), Labels: labels }) });

/** From GET /secrets. */
export function secretSummary(raw: unknown): SecretSummary {
  const s = parse('secret', SECRET, raw);
  return { id: s.ID, name: s.Spec.Name, labels: s.Spec.Labels ?? {} };
}
