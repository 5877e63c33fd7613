// The master copy as TypeScript sees it once it has passed validation
// (schemas/mastercopy.schema.json is the source of truth; keep the two in step).

export type Scalar = string | number | boolean;
/** A list is the exec form; a string runs in a shell. */
export type Command = string | string[];

export interface PortSpec {
  port: number;
  protocol?: 'tcp' | 'udp';
  hostPort?: number;
}
export type PortEntry = number | PortSpec;

export interface FileEntry {
  path: string;
  content?: string;
  source?: string;
  mode?: string;
  owner?: string;
}

export interface Health {
  http?: { port: number; path?: string };
  command?: Command;
  interval?: string;
  timeout?: string;
  retries?: number;
  startPeriod?: string;
}

export interface Runtime {
  readOnly?: boolean;
  tmpfs?: string[];
  capabilities?: { drop?: string[]; add?: string[] };
  noNewPrivileges?: boolean;
  memory?: string;
  cpus?: number;
  restart?: 'no' | 'on-failure' | 'always' | 'unless-stopped';
}

export interface VolumeEntry {
  name: string;
  path: string;
  readOnly?: boolean;
}

export interface SecretEntry {
  name: string;
  fromEnv?: string;
  fromFile?: string;
}

export interface MasterCopy {
  mastercopy: 1;
  name: string;
  version: string;
  description?: string;
  owners?: string[];
  from?: string;
  dockerfile?: string;
  build?: { args?: Record<string, Scalar>; steps?: Command[] };
  files?: FileEntry[];
  env?: Record<string, Scalar>;
  user?: string;
  workdir?: string;
  command?: Command;
  entrypoint?: Command;
  ports?: PortEntry[];
  health?: Health;
  copies?: number;
  runtime?: Runtime;
  volumes?: VolumeEntry[];
  secrets?: SecretEntry[];
  labels?: Record<string, Scalar>;
  gateway?: { port: number; target: number };
  autoscale?: Autoscale;
}

/** The keeper scales the active version between min and max on these targets. */
export interface Autoscale {
  min: number;
  max: number;
  /** Target open connections per copy. */
  inflight?: number;
  /** Target CPU percent per copy. */
  cpu?: number;
  /** A duration ("30s"). */
  cooldown?: string;
  dryRun?: boolean;
}

/** A port entry in its long form, with the defaults filled in. */
export function normalizePort(
  p: PortEntry,
): Required<Pick<PortSpec, 'port' | 'protocol'>> & { hostPort?: number } {
  return typeof p === 'number'
    ? { port: p, protocol: 'tcp' }
    : { port: p.port, protocol: p.protocol ?? 'tcp', hostPort: p.hostPort };
}
