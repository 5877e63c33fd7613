// A master copy → Kubernetes manifests: a Deployment (and the Service, PersistentVolumeClaims
// and ConfigMap it needs), hardened as a printed copy is. OpenShift's export (openshift.ts)
// is this with its own choices passed in.
//
// What goes where, and why:
//  - the image carries env, user, workdir, command and entrypoint for a master copy with
//    `from`; they are repeated only for a `dockerfile:` one (as copies/spec.ts does);
//  - secrets: references by name to one Secret, NAME-secrets, never a value; the header
//    says how to create it;
//  - health: a readiness probe (traffic only to ready copies, as the gateway does) and a
//    liveness probe (a copy that stays unhealthy is replaced, as the keeper does) with the
//    same check; `startPeriod` is the liveness probe's initial delay;
//  - tmpfs paths are emptyDir volumes in memory; inline files a ConfigMap mounted with
//    subPath over their own path, so the root stays read-only and nothing else is hidden.
import { commandArgs } from '../build/dockerfile';
import { DEFAULT_TMPFS, healthTiming } from '../copies/spec';
import { normalizePort, type MasterCopy } from '../mastercopy/model';
import { setOwn } from '../util/ownProperty';
import {
  headerLines,
  imageName,
  kubernetesCpu,
  kubernetesMemory,
  numericUser,
  secretObjectName,
  wholeSeconds,
  type ExportResult,
  type ExportSource,
  type ExportTarget,
} from './types';
import { renderYaml, type YamlComment, type YamlObject } from './yamlOut';

export const KUBERNETES_FILE = 'kubernetes.yaml';
/** What a ConfigMap may hold (1 MiB), less room for its metadata. */
const CONFIG_MAP_BYTES = 1000 * 1024;
const LABEL_KEY =
  /^(?:[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?\/)?[A-Za-z0-9](?:[-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const LABEL_VALUE = /^(?:[A-Za-z0-9](?:[-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;

export interface KubernetesFlavour {
  target: ExportTarget;
  /** The file's name in --out DIR. */
  fileName: string;
  /** More header lines (OpenShift's security context constraints). */
  header: string[];
  /** Capabilities the flavour's default policy refuses to add, with what to do about them. */
  refusedCapability?: (cap: string) => boolean;
  refusedCapabilityNote?: string;
  /** Objects after the Service (OpenShift's Route); `service` is the Service's port names. */
  more?: (mc: MasterCopy, service: ServicePorts) => YamlObject[];
  /** The apply command in the header. */
  apply: string;
}

export interface ServicePorts {
  /** The name of the Service's port that the gateway is (undefined without a gateway). */
  gatewayPortName: string | undefined;
}

export function exportKubernetes(mc: MasterCopy, source: ExportSource): ExportResult {
  return exportKubernetesFlavour(mc, source, {
    target: 'kubernetes',
    fileName: KUBERNETES_FILE,
    header: [],
    apply: `kubectl apply -f ${KUBERNETES_FILE}`,
  });
}

export function exportKubernetesFlavour(
  mc: MasterCopy,
  source: ExportSource,
  flavour: KubernetesFlavour,
): ExportResult {
  const name = mc.name;
  const labels = selectorLabels(mc);
  const objects: YamlObject[] = [];
  const notes: string[] = [];
  const header = [
    ...headerLines(mc, source, flavour.target),
    `Apply: ${flavour.apply}`,
    `The image ${imageName(mc)} is the one \`mastercopy build\` makes. The cluster pulls it by name:`,
    'push it to a registry the cluster can pull from and write its full name in `image:` below.',
    ...flavour.header,
  ];

  // Secrets: by name only; one Secret holds them all.
  const secrets = mc.secrets ?? [];
  if (secrets.length) {
    header.push(
      `Secrets are never exported. Create the Secret ${secretObjectName(mc)} before applying:`,
      `  kubectl create secret generic ${secretObjectName(mc)} \\`,
      ...secrets.map((s, i) => `    ${secretSourceFlag(s)}${i < secrets.length - 1 ? ' \\' : ''}`),
    );
  }

  const container: Record<string, unknown> = {
    name,
    image: imageName(mc),
    imagePullPolicy: 'IfNotPresent',
  };
  const containerComments: YamlComment[] = [];
  if (mc.dockerfile !== undefined) {
    // A user's Dockerfile knows nothing of these: the copy gets them when it runs.
    if (mc.entrypoint !== undefined) container.command = commandArgs(mc.entrypoint);
    if (mc.command !== undefined) container.args = commandArgs(mc.command);
    if (mc.workdir !== undefined) container.workingDir = mc.workdir;
  }
  const env: Record<string, unknown>[] = [];
  if (mc.dockerfile !== undefined)
    for (const [k, v] of Object.entries(mc.env ?? {})) env.push({ name: k, value: String(v) });
  for (const s of secrets)
    env.push({
      name: s.name,
      valueFrom: { secretKeyRef: { name: secretObjectName(mc), key: s.name } },
    });
  if (env.length) container.env = env;

  const ports = (mc.ports ?? []).map(normalizePort);
  if (ports.length)
    container.ports = ports.map((p) => ({
      name: portName(p.protocol, p.port),
      containerPort: p.port,
      protocol: p.protocol.toUpperCase(),
    }));

  const health = mc.health;
  if (health && (health.http || health.command !== undefined)) {
    const t = healthTiming(health);
    const check = health.http
      ? { httpGet: { path: health.http.path ?? '/', port: health.http.port } }
      : { exec: { command: commandArgs(health.command!) } };
    const timing = {
      periodSeconds: wholeSeconds(t.intervalMs),
      timeoutSeconds: wholeSeconds(t.timeoutMs),
      failureThreshold: Math.max(1, t.retries),
    };
    container.readinessProbe = { ...check, ...timing };
    container.livenessProbe = {
      ...check,
      initialDelaySeconds: Math.ceil(t.startPeriodMs / 1000),
      ...timing,
    };
  }

  const runtime = mc.runtime ?? {};
  const limits: Record<string, string> = {};
  if (runtime.cpus !== undefined) limits.cpu = kubernetesCpu(runtime.cpus);
  if (runtime.memory !== undefined) limits.memory = kubernetesMemory(runtime.memory);
  // Limits alone: Kubernetes then requests the same, so each copy gets what it would locally.
  if (Object.keys(limits).length) container.resources = { limits };

  const securityContext: Record<string, unknown> = {
    readOnlyRootFilesystem: runtime.readOnly ?? true,
    allowPrivilegeEscalation: !(runtime.noNewPrivileges ?? true),
  };
  const drop = (runtime.capabilities?.drop ?? ['ALL']).map(capability);
  const add = (runtime.capabilities?.add ?? []).map(capability);
  securityContext.capabilities = add.length ? { drop, add } : { drop };
  const refused = add.filter((c) => flavour.refusedCapability?.(c));
  if (refused.length && flavour.refusedCapabilityNote)
    containerComments.push({
      path: ['securityContext', 'capabilities'],
      text: `${refused.join(', ')}: ${flavour.refusedCapabilityNote}`,
    });
  const user = numericUser(mc.user);
  if (user) {
    securityContext.runAsUser = user.uid;
    if (user.gid !== undefined) securityContext.runAsGroup = user.gid;
    if (user.uid !== 0) securityContext.runAsNonRoot = true;
  } else if (mc.user !== undefined) {
    if (mc.dockerfile !== undefined)
      notes.push(
        `user ${mc.user} is a name Kubernetes cannot set: the copies run as the Dockerfile's USER; give \`user\` as a uid.`,
      );
    containerComments.push({
      path: ['securityContext'],
      // With `from` the image's USER is this name; a user's Dockerfile has its own USER, and
      // Kubernetes can set only a numeric one.
      text:
        (mc.dockerfile === undefined
          ? `user ${mc.user} is a name: the image runs as it (its USER). `
          : `user ${mc.user} is a name, which Kubernetes cannot set: the copy runs as the Dockerfile's USER. `) +
        'runAsNonRoot is not set:\nthe kubelet checks it only against a numeric user and refuses to start a named one. ' +
        'Give `user` as a uid to have it checked.',
    });
  }
  securityContext.seccompProfile = { type: 'RuntimeDefault' };
  container.securityContext = securityContext;

  // Volumes: tmpfs in memory, the master copy's volumes as claims, inline files from a ConfigMap.
  const mounts: Record<string, unknown>[] = [];
  const volumes: Record<string, unknown>[] = [];
  (runtime.tmpfs ?? DEFAULT_TMPFS).forEach((path, i) => {
    volumes.push({ name: `tmpfs-${i}`, emptyDir: { medium: 'Memory' } });
    mounts.push({ name: `tmpfs-${i}`, mountPath: path });
  });
  const claims = claimNames(mc);
  (mc.volumes ?? []).forEach((v, i) => {
    volumes.push({ name: `volume-${i}`, persistentVolumeClaim: { claimName: claims[i] } });
    mounts.push({
      name: `volume-${i}`,
      mountPath: v.path,
      ...(v.readOnly ? { readOnly: true } : {}),
    });
  });
  const configMap = configMapFiles(mc);
  if (configMap.files.length) {
    volumes.push({
      name: 'files',
      configMap: {
        name: `${name}-files`,
        items: configMap.files.map((f) => ({ key: f.key, path: f.key, mode: f.mode })),
      },
    });
    for (const f of configMap.files)
      mounts.push({ name: 'files', mountPath: f.path, subPath: f.key, readOnly: true });
  }
  if (configMap.left.length)
    notes.push(`In the image only (not in the ConfigMap): ${configMap.left.join('; ')}.`);
  if (mounts.length) container.volumeMounts = mounts;

  const podSpec: Record<string, unknown> = {
    automountServiceAccountToken: false,
    containers: [container],
  };
  if (volumes.length) podSpec.volumes = volumes;

  const deployment: YamlObject = {
    value: {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name, labels: objectLabels(mc) },
      spec: {
        replicas: mc.copies ?? 1,
        selector: { matchLabels: labels },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
        template: {
          metadata: podMetadata(mc),
          spec: podSpec,
        },
      },
    },
    comments: [
      {
        path: ['spec', 'strategy'],
        text: 'As a promote: new copies first, an old one goes only once a new one is ready.',
      },
      ...containerComments.map((c) => ({
        path: ['spec', 'template', 'spec', 'containers', 0, ...c.path],
        text: c.text,
      })),
      {
        path: ['spec', 'template', 'spec', 'containers', 0, 'image'],
        text: 'Push this image to a registry the cluster can pull from and write its full name here.',
      },
    ],
  };
  objects.push(deployment);

  // The Service: each port as itself, the gateway's target under the gateway's port.
  let gatewayPortName: string | undefined;
  if (ports.length) {
    const servicePorts = ports.map((p) => {
      const gateway = mc.gateway && mc.gateway.target === p.port && p.protocol === 'tcp';
      if (gateway) gatewayPortName = portName(p.protocol, p.port);
      return {
        name: portName(p.protocol, p.port),
        port: gateway ? mc.gateway!.port : p.port,
        targetPort: p.port,
        protocol: p.protocol.toUpperCase(),
      };
    });
    objects.push({
      value: {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name, labels: objectLabels(mc) },
        spec: { type: 'ClusterIP', selector: labels, ports: servicePorts },
      },
      comments: mc.gateway
        ? [
            {
              path: ['spec', 'ports'],
              text: `The gateway: port ${mc.gateway.port} in front of the copies' ${mc.gateway.target}.`,
            },
          ]
        : [],
    });
  }
  objects.push(...(flavour.more?.(mc, { gatewayPortName }) ?? []));

  (mc.volumes ?? []).forEach((v, i) => {
    objects.push({
      value: {
        apiVersion: 'v1',
        kind: 'PersistentVolumeClaim',
        metadata: { name: claims[i], labels: objectLabels(mc) },
        spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
      },
      comments: [
        {
          path: ['spec', 'accessModes'],
          text:
            `The volume ${v.name} (${v.path}). ReadWriteOnce: copies on one node share it; for copies on ` +
            'several nodes\nuse ReadWriteMany where the storage class offers it. Set the size it needs.',
        },
      ],
    });
  });

  if (configMap.files.length) {
    const data: Record<string, string> = {};
    for (const f of configMap.files) setOwn(data, f.key, f.content);
    objects.push({
      value: {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: `${name}-files`, labels: objectLabels(mc) },
        data,
      },
      comments: [
        {
          path: ['data'],
          text:
            "The master copy's inline files, as the image has them; each is mounted with subPath over its own " +
            'path\n(read-only), so the root filesystem stays read-only.',
        },
        ...configMap.files.map((f) => ({ path: ['data', f.key], text: f.path })),
      ],
    });
  }

  return {
    target: flavour.target,
    files: [
      { path: flavour.fileName, type: 'file', mode: 0o644, content: renderYaml(header, objects) },
    ],
    main: flavour.fileName,
    notes,
  };
}

/** What the Deployment selects its pods by. */
function selectorLabels(mc: MasterCopy): Record<string, string> {
  return { 'app.kubernetes.io/name': mc.name };
}

function objectLabels(mc: MasterCopy): Record<string, string> {
  return {
    'app.kubernetes.io/name': mc.name,
    'app.kubernetes.io/version': LABEL_VALUE.test(mc.version) ? mc.version : 'unknown',
    'app.kubernetes.io/managed-by': 'mastercopy',
  };
}

/** The pod's labels: ours, then the master copy's own where Kubernetes takes them as labels (else as annotations). */
function podMetadata(mc: MasterCopy): Record<string, unknown> {
  const labels = objectLabels(mc);
  const annotations: Record<string, string> = {};
  for (const [k, raw] of Object.entries(mc.labels ?? {})) {
    const v = String(raw);
    if (!LABEL_KEY.test(k) || k.startsWith('app.kubernetes.io/')) continue;
    if (LABEL_VALUE.test(v)) setOwn(labels, k, v);
    else setOwn(annotations, k, v);
  }
  return Object.keys(annotations).length ? { labels, annotations } : { labels };
}

/** "tcp-8080": a Service port's name (at most 15 characters, a DNS label). */
function portName(protocol: 'tcp' | 'udp', port: number): string {
  return `${protocol}-${port}`;
}

/** Docker takes CAP_CHOWN and CHOWN; Kubernetes only the latter. */
function capability(cap: string): string {
  return cap.toUpperCase().replace(/^CAP_/, '');
}

/** `--from-literal=NAME="$ENV"` or `--from-file=NAME=PATH`: how the person who prints would give it. */
function secretSourceFlag(s: { name: string; fromEnv?: string; fromFile?: string }): string {
  if (s.fromFile !== undefined) return `--from-file=${s.name}=${shellQuote(s.fromFile)}`;
  return `--from-literal=${s.name}="$${s.fromEnv ?? s.name}"`;
}

/** A word for a POSIX shell, in single quotes when it needs any: the header shows a command to copy. */
export function shellQuote(s: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** NAME-VOLUME for each volume, as a DNS subdomain; a clash gets its index. */
function claimNames(mc: MasterCopy): string[] {
  const seen = new Set<string>();
  return (mc.volumes ?? []).map((v, i) => {
    let n = `${mc.name}-${v.name.toLowerCase().replace(/[^a-z0-9-]/g, '-')}`.replace(/-+$/, '');
    if (n.length > 253 || seen.has(n)) n = `${mc.name}-volume-${i}`;
    seen.add(n);
    return n;
  });
}

interface ConfigMapFile {
  key: string;
  path: string;
  content: string;
  mode: number;
}

/**
 * The inline files that go into the ConfigMap: those with content and no owner (a ConfigMap's
 * files belong to root), while they fit in one ConfigMap. The others stay in the image only.
 */
function configMapFiles(mc: MasterCopy): { files: ConfigMapFile[]; left: string[] } {
  const files: ConfigMapFile[] = [];
  const left: string[] = [];
  let bytes = 0;
  (mc.files ?? []).forEach((f, i) => {
    if (f.content === undefined) return;
    if (f.owner !== undefined) {
      left.push(`${f.path} (owned by ${f.owner}; a ConfigMap's files are root's)`);
      return;
    }
    const size = Buffer.byteLength(f.content, 'utf8');
    if (bytes + size > CONFIG_MAP_BYTES) {
      left.push(`${f.path} (too large for one ConfigMap)`);
      return;
    }
    bytes += size;
    files.push({
      key: `file-${i}`,
      path: f.path,
      content: f.content,
      mode: f.mode !== undefined ? parseInt(f.mode, 8) & 0o777 : 0o644,
    });
  });
  return { files, left };
}
