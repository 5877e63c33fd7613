// A master copy → a Compose file, hardened as a printed copy is: read-only root, capabilities
// dropped, no-new-privileges, tmpfs, limits, ports on 127.0.0.1 only, its own network.
//
// Choices, and why:
//  - health.command is the healthcheck; health.http is left out with a comment: Compose only
//    runs commands inside the container, and whether the image has an HTTP client (wget,
//    curl) is not something a master copy says; a check that cannot run would mark every
//    copy unhealthy;
//  - secrets are Compose secrets from the same sources (environment, file): Compose gives
//    each as the file /run/secrets/NAME, never as the environment variable a printed copy
//    gets; the comment says so;
//  - no io.mastercopy.* labels: Master Copy would take Compose's containers for its own copies;
//  - the gateway has no equivalent (Compose has no endpoint in front of replicas): said so.
import { commandArgs } from '../build/dockerfile';
import { DEFAULT_TMPFS, healthTiming, PUBLISH_HOST_IP } from '../copies/spec';
import { normalizePort, type MasterCopy } from '../mastercopy/model';
import { setOwn } from '../util/ownProperty';
import { headerLines, imageName, type ExportResult, type ExportSource } from './types';
import { renderYaml, type YamlComment } from './yamlOut';

export const COMPOSE_FILE = 'compose.yaml';

export function exportCompose(mc: MasterCopy, source: ExportSource): ExportResult {
  const name = mc.name;
  const runtime = mc.runtime ?? {};
  const comments: YamlComment[] = [];
  const at = (...path: (string | number)[]) => ['services', name, ...path];
  const header = [
    ...headerLines(mc, source, 'compose'),
    `Run: docker compose -f ${COMPOSE_FILE} up -d (the image ${imageName(mc)} from \`mastercopy build\` first).`,
  ];

  const service: Record<string, unknown> = { image: imageName(mc) };
  if (mc.dockerfile !== undefined) {
    // A user's Dockerfile knows nothing of these: the copies get them when they run.
    if (mc.entrypoint !== undefined) service.entrypoint = commandArgs(mc.entrypoint);
    if (mc.command !== undefined) service.command = commandArgs(mc.command);
    if (mc.user !== undefined) service.user = mc.user;
    if (mc.workdir !== undefined) service.working_dir = mc.workdir;
    if (mc.env && Object.keys(mc.env).length) {
      const environment: Record<string, string> = {};
      for (const [k, v] of Object.entries(mc.env)) setOwn(environment, k, String(v));
      service.environment = environment;
    }
  }
  service.init = true;
  service.read_only = runtime.readOnly ?? true;
  service.cap_drop = runtime.capabilities?.drop ?? ['ALL'];
  if (runtime.capabilities?.add?.length) service.cap_add = runtime.capabilities.add;
  if (runtime.noNewPrivileges ?? true) service.security_opt = ['no-new-privileges:true'];
  const tmpfs = runtime.tmpfs ?? DEFAULT_TMPFS;
  if (tmpfs.length) service.tmpfs = tmpfs;
  service.restart = runtime.restart ?? 'no';

  const deploy: Record<string, unknown> = { replicas: mc.copies ?? 1 };
  const limits: Record<string, unknown> = {};
  if (runtime.cpus !== undefined) limits.cpus = String(runtime.cpus);
  if (runtime.memory !== undefined) limits.memory = runtime.memory;
  if (Object.keys(limits).length) deploy.resources = { limits };
  service.deploy = deploy;

  const ports = (mc.ports ?? []).map(normalizePort);
  if (ports.length) {
    // An ephemeral host port unless `hostPort` fixes one, as print does: replicas cannot share one.
    service.ports = ports.map((p) => ({
      target: p.port,
      host_ip: PUBLISH_HOST_IP,
      ...(p.hostPort !== undefined ? { published: String(p.hostPort) } : {}),
      protocol: p.protocol,
    }));
    comments.push({ path: at('ports'), text: 'On 127.0.0.1 only, as printed copies are.' });
  }
  if (mc.gateway)
    header.push(
      `The gateway (port ${mc.gateway.port}) has no Compose equivalent: reach each copy on its own port.`,
    );

  const health = mc.health;
  if (health?.command !== undefined) {
    const t = healthTiming(health);
    // The master copy's own durations where it gives them ("2s"), else the defaults it runs with.
    service.healthcheck = {
      test: ['CMD', ...commandArgs(health.command)],
      interval: health.interval ?? `${t.intervalMs}ms`,
      timeout: health.timeout ?? `${t.timeoutMs}ms`,
      retries: t.retries,
      start_period: health.startPeriod ?? `${t.startPeriodMs}ms`,
    };
  } else if (health?.http) {
    comments.push({
      path: at('deploy'),
      text:
        `health.http (GET ${health.http.path ?? '/'} on ${health.http.port}) is left out: Compose checks health only ` +
        'by a command\ninside the container. If the image has an HTTP client, add e.g.\n' +
        `healthcheck: { test: [CMD, wget, -q, -O, /dev/null, "http://127.0.0.1:${health.http.port}${health.http.path ?? '/'}"] }`,
    });
  }

  const volumes = mc.volumes ?? [];
  if (volumes.length)
    service.volumes = volumes.map((v) => ({
      type: 'volume',
      source: v.name,
      target: v.path,
      ...(v.readOnly ? { read_only: true } : {}),
    }));

  const secrets = mc.secrets ?? [];
  if (secrets.length) {
    service.secrets = secrets.map((s) => s.name);
    comments.push({
      path: at('secrets'),
      text:
        'Compose gives each secret as the file /run/secrets/NAME, not as the environment variable a printed ' +
        'copy gets;\nthe application reads it there. Values are never in this file.',
    });
  }
  service.networks = [name];
  const labels = Object.entries(mc.labels ?? {});
  if (labels.length) {
    const out: Record<string, string> = {};
    for (const [k, v] of labels) setOwn(out, k, String(v));
    service.labels = out;
  }

  const file: Record<string, unknown> = {
    name,
    services: { [name]: service },
    networks: { [name]: { driver: 'bridge' } },
  };
  if (volumes.length) file.volumes = Object.fromEntries(volumes.map((v) => [v.name, {}]));
  if (secrets.length) {
    const top: Record<string, unknown> = {};
    for (const s of secrets)
      setOwn(
        top,
        s.name,
        s.fromFile !== undefined ? { file: s.fromFile } : { environment: s.fromEnv ?? s.name },
      );
    file.secrets = top;
  }

  return {
    target: 'compose',
    files: [
      {
        path: COMPOSE_FILE,
        type: 'file',
        mode: 0o644,
        content: renderYaml(header, [{ value: file, comments }]),
      },
    ],
    main: COMPOSE_FILE,
    notes: [],
  };
}
