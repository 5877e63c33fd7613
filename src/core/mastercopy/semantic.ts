// The rules the schema cannot express (DESIGN.md, "Semantic rules beyond the
// schema"), each reported at the exact key or value it is about.
import { isAbsolute, posix, resolve } from 'node:path';
import { generateDockerfile, quotedValueProblem } from '../build/dockerfile';
import { BuildPlanError } from '../build/errors';
import { climbsOut, isOutside } from '../util/paths';
import type { Diagnostic, Severity } from './diagnostic';
import type { FileAccess } from './fileAccess';
import { normalizePort, type MasterCopy, type PortEntry } from './model';
import { displayPath } from './schema';
import { valueRange } from './schemaValidation';
import type { ParsedYaml, PathSegment } from './yamlSource';

export interface SemanticContext {
  /** The master copy's folder on the host; undefined for an unsaved document. */
  folder?: string;
  files?: FileAccess;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => !!v && typeof v === 'object' && !Array.isArray(v);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

const SECRET_LIKE = /PASSWORD|PASSWD|TOKEN|SECRET|(^|_)KEY$|PRIVATE_KEY|API_KEY/i;

export function semanticDiagnostics(
  mc: Obj,
  parsed: ParsedYaml,
  ctx: SemanticContext,
): Diagnostic[] {
  const out: Diagnostic[] = [];
  const at = (
    path: PathSegment[],
    message: string,
    code: string,
    severity: Severity = 'error',
    onKey = false,
  ) => {
    const loc = onKey ? parsed.locate(path) : undefined;
    out.push({ severity, code, message, range: loc?.key ?? valueRange(parsed, path) });
  };

  // Exactly one of from / dockerfile; build and files only with from.
  const hasFrom = mc.from !== undefined;
  const hasDockerfile = mc.dockerfile !== undefined;
  if (!hasFrom && !hasDockerfile) {
    out.push({
      severity: 'error',
      code: 'base',
      message:
        'A master copy needs a base: add `from: IMAGE` (for example `from: busybox:stable`) or `dockerfile: ./Dockerfile`.',
      range: parsed.firstKey() ?? { start: 0, end: 0 },
    });
  } else if (hasFrom && hasDockerfile) {
    at(
      ['dockerfile'],
      'Use either `from` or `dockerfile`, not both: remove one of them.',
      'base',
      'error',
      true,
    );
  }
  if (hasDockerfile && !hasFrom) {
    for (const k of ['build', 'files'] as const) {
      if (mc[k] !== undefined)
        at(
          [k],
          `\`${k}\` only works with \`from\`: with \`dockerfile\`, ` +
            `put ${k === 'build' ? 'build steps' : 'files'} in the Dockerfile instead.`,
          'base',
          'error',
          true,
        );
    }
  }

  // Host paths stay inside the master copy's folder, and lead to what can be read there.
  if (typeof mc.dockerfile === 'string') hostPath(['dockerfile'], mc.dockerfile, 'error', 'a file');
  arr(mc.files).forEach((f, i) => {
    if (isObj(f) && typeof f.source === 'string')
      hostPath(['files', i, 'source'], f.source, 'error', 'a file or a folder');
  });
  arr(mc.secrets).forEach((s, i) => {
    // A missing secret file is only known to matter when printing.
    if (isObj(s) && typeof s.fromFile === 'string')
      hostPath(['secrets', i, 'fromFile'], s.fromFile, 'warning', 'a file');
  });

  function hostPath(
    path: PathSegment[],
    p: string,
    missingSeverity: Severity,
    wanted: 'a file' | 'a file or a folder',
  ) {
    const name = displayPath(path);
    if (p.startsWith('~') || posix.isAbsolute(p) || isAbsolute(p) || /^[A-Za-z]:[\\/]/.test(p)) {
      at(
        path,
        `\`${name}\` must be relative to the master copy's folder; absolute host paths are not allowed ` +
          `(write ./${posix.basename(p)} and keep the file beside the master copy).`,
        'path-escape',
      );
      return;
    }
    const norm = posix.normalize(p.replace(/\\/g, '/'));
    if (climbsOut(norm, '/')) {
      at(
        path,
        `\`${name}\` (${p}) leads outside the master copy's folder; only files inside it can be used. ` +
          `Move the file next to the master copy.`,
        'path-escape',
      );
      return;
    }
    if (!ctx.folder || !ctx.files) return;
    const abs = resolve(ctx.folder, norm);
    const real = ctx.files.realpath(abs);
    if (real === undefined) {
      at(
        path,
        `\`${name}\`: ${p} does not exist in ${ctx.folder}.`,
        'path-missing',
        missingSeverity,
      );
      return;
    }
    const realFolder = ctx.files.realpath(ctx.folder) ?? ctx.folder;
    if (isOutside(realFolder, real)) {
      at(
        path,
        `\`${name}\` (${p}) is a symbolic link that leads outside the master copy's folder (to ${real}); only files inside it can be used.`,
        'path-escape',
      );
      return;
    }
    // A FIFO or a device is never read (it could block or never end): say so now, not when building.
    const kind = ctx.files.kind?.(abs);
    if (
      kind === undefined ||
      kind === 'file' ||
      (kind === 'directory' && wanted === 'a file or a folder')
    )
      return;
    at(
      path,
      `\`${name}\` (${p}) is ${kind === 'directory' ? 'a folder' : kind.other}; ` +
        `it must be ${wanted === 'a file' ? 'a regular file' : 'a regular file or a folder'}.`,
      'path-kind',
      missingSeverity,
    );
  }

  // With `from`, every value must fit the generated Dockerfile (the generator's own rule).
  if (hasFrom) {
    if (isObj(mc.env)) {
      for (const [k, v] of Object.entries(mc.env)) {
        if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') continue;
        const problem = quotedValueProblem(String(v), ['env', k], 'an environment variable');
        if (problem) at(['env', k], problem, 'dockerfile');
      }
    }
    const workdir =
      typeof mc.workdir === 'string'
        ? quotedValueProblem(mc.workdir, ['workdir'], 'a path')
        : undefined;
    if (workdir) at(['workdir'], workdir, 'dockerfile');
  }

  // A secret file is given to copies when printing, never copied into the image (the build refuses it).
  if (ctx.folder && ctx.files) {
    const folder = ctx.folder;
    const real = (p: unknown) =>
      typeof p === 'string' && !posix.isAbsolute(p) && !isAbsolute(p)
        ? ctx.files!.realpath(resolve(folder, p))
        : undefined;
    const secretFiles = new Map<string, number>();
    arr(mc.secrets).forEach((sec, j) => {
      const r = isObj(sec) ? real(sec.fromFile) : undefined;
      if (r !== undefined && !secretFiles.has(r)) secretFiles.set(r, j);
    });
    arr(mc.files).forEach((f, i) => {
      const r = isObj(f) ? real(f.source) : undefined;
      const j = r !== undefined ? secretFiles.get(r) : undefined;
      if (j !== undefined)
        at(
          ['files', i, 'source'],
          `\`files[${i}].source\` (${(f as Obj).source}) is the secret file of \`secrets[${j}]\`: ` +
            `secrets are given to the copies when printing, never copied into the image.`,
          'secret-exposed',
        );
    });
  }

  // Image paths are absolute and normalised.
  const imagePath = (path: PathSegment[], p: unknown) => {
    if (typeof p !== 'string' || p === '') return;
    const name = displayPath(path);
    if (!p.startsWith('/'))
      at(
        path,
        `\`${name}\` must be an absolute path inside the image, like /${p.replace(/^\.?\/*/, '')}.`,
        'image-path',
      );
    else {
      const norm = posix.normalize(p);
      const clean = norm.length > 1 ? norm.replace(/\/$/, '') : norm;
      if (clean !== p)
        at(path, `\`${name}\` is not a normalised path: write ${clean}.`, 'image-path');
    }
  };
  arr(mc.files).forEach((f, i) => isObj(f) && imagePath(['files', i, 'path'], f.path));
  imagePath(['workdir'], mc.workdir);
  arr(mc.volumes).forEach((v, i) => isObj(v) && imagePath(['volumes', i, 'path'], v.path));
  if (isObj(mc.runtime))
    arr(mc.runtime.tmpfs).forEach((t, i) => imagePath(['runtime', 'tmpfs', i], t));

  // No duplicates.
  duplicates(
    arr(mc.files),
    (f) => (isObj(f) && typeof f.path === 'string' ? posix.normalize(f.path) : undefined),
    (i, first) =>
      at(
        ['files', i, 'path'],
        `Two files have the path ${(arr(mc.files)[i] as Obj).path}: files[${first}] already writes it.`,
        'duplicate',
      ),
  );
  const ports = arr(mc.ports);
  const portKey = (p: unknown): string | undefined => {
    if (!(typeof p === 'number' || (isObj(p) && typeof p.port === 'number'))) return undefined;
    const n = normalizePort(p as PortEntry);
    return `${n.port}/${n.protocol}`;
  };
  duplicates(ports, portKey, (i, first) =>
    at(
      ['ports', i],
      `Port ${portKey(ports[i])} is listed twice (also ports[${first}]).`,
      'duplicate',
    ),
  );
  duplicates(
    arr(mc.volumes),
    (v) => (isObj(v) && typeof v.name === 'string' ? v.name : undefined),
    (i, first) =>
      at(
        ['volumes', i, 'name'],
        `Volume \`${(arr(mc.volumes)[i] as Obj).name}\` is listed twice (also volumes[${first}]).`,
        'duplicate',
      ),
  );
  duplicates(
    arr(mc.volumes),
    (v) => (isObj(v) && typeof v.path === 'string' ? posix.normalize(v.path) : undefined),
    (i, first) =>
      at(
        ['volumes', i, 'path'],
        `Two volumes are mounted at ${(arr(mc.volumes)[i] as Obj).path} (also volumes[${first}]).`,
        'duplicate',
      ),
  );
  duplicates(
    arr(mc.secrets),
    (s) => (isObj(s) && typeof s.name === 'string' ? s.name : undefined),
    (i, first) =>
      at(
        ['secrets', i, 'name'],
        `Secret \`${(arr(mc.secrets)[i] as Obj).name}\` is listed twice (also secrets[${first}]).`,
        'duplicate',
      ),
  );

  // Ports that other sections refer to exist.
  const tcpPorts = new Set(
    ports
      .map((p) => portKey(p) ?? '')
      .filter((k) => k.endsWith('/tcp'))
      .map((k) => Number(k.split('/')[0]))
      .filter((n) => n >= 1 && n <= 65535),
  );
  const portList = [...tcpPorts].join(', ') || 'none';
  if (isObj(mc.health)) {
    const h = mc.health;
    if (h.http !== undefined && h.command !== undefined)
      at(
        ['health', 'command'],
        'A health check is either `http` or `command`, not both: remove one.',
        'health',
        'error',
        true,
      );
    else if (h.http === undefined && h.command === undefined)
      at(
        ['health'],
        'A health check needs `http` (probed from the host) or `command` (run inside the copy).',
        'health',
        'error',
        true,
      );
    if (isObj(h.http) && typeof h.http.port === 'number' && !tcpPorts.has(h.http.port)) {
      at(
        ['health', 'http', 'port'],
        `The health check probes port ${h.http.port}, which is not among \`ports\` (${portList}): add it to \`ports\`.`,
        'port-reference',
      );
    }
  }
  if (
    isObj(mc.gateway) &&
    typeof mc.gateway.target === 'number' &&
    !tcpPorts.has(mc.gateway.target)
  ) {
    at(
      ['gateway', 'target'],
      `The gateway forwards to port ${mc.gateway.target}, which is not among \`ports\` (${portList}): add it to \`ports\`.`,
      'port-reference',
    );
  }

  if (isObj(mc.autoscale)) {
    const a = mc.autoscale;
    if (!isObj(mc.gateway))
      at(
        ['autoscale'],
        'Autoscaling needs a `gateway`: the keeper behind it counts the connections ' +
          'and sends them to the copies it adds. Add `gateway`, or remove `autoscale`.',
        'autoscale',
        'error',
        true,
      );
    if (a.inflight === undefined && a.cpu === undefined)
      at(
        ['autoscale'],
        'Autoscaling needs a target to scale on: `inflight` (open connections per copy) or `cpu` (CPU percent per copy), or both.',
        'autoscale',
        'error',
        true,
      );
    if (typeof a.min === 'number' && typeof a.max === 'number' && a.min > a.max)
      at(
        ['autoscale', 'min'],
        `\`autoscale.min\` (${a.min}) is more than \`max\` (${a.max}): the keeper could keep neither. Lower \`min\` or raise \`max\`.`,
        'autoscale',
      );
  }

  // Secrets stay secrets.
  const secretNames = new Set(
    arr(mc.secrets)
      .map((s) => (isObj(s) ? s.name : undefined))
      .filter((n): n is string => typeof n === 'string'),
  );
  const sections: [string[], string][] = [
    [['env'], 'env'],
    [['labels'], 'labels'],
    [['build', 'args'], 'build.args'],
  ];
  for (const [path, label] of sections) {
    const m = path.reduce<unknown>((o, k) => (isObj(o) ? o[k] : undefined), mc);
    if (!isObj(m)) continue;
    for (const k of Object.keys(m)) {
      if (secretNames.has(k)) {
        at(
          [...path, k],
          `\`${k}\` is a secret: it must not also be set in \`${label}\`, ` +
            `where its value would end up in the image or its labels. Remove it here; it is injected when printing.`,
          'secret-exposed',
          'error',
          true,
        );
      } else if (label !== 'labels' && SECRET_LIKE.test(k)) {
        at(
          [...path, k],
          `\`${k}\` looks like a secret: a value in \`${label}\` is baked into the image for anyone to read. ` +
            `If it is one, move it to \`secrets\`.`,
          'secret-like',
          'warning',
          true,
        );
      }
    }
  }
  if (isObj(mc.labels)) {
    for (const k of Object.keys(mc.labels)) {
      if (k.startsWith('io.mastercopy.'))
        at(
          ['labels', k],
          `Label keys under \`io.mastercopy.\` are reserved for Master Copy's own bookkeeping; choose another key.`,
          'reserved-label',
          'error',
          true,
        );
    }
  }
  return out;
}

function duplicates(
  items: unknown[],
  key: (item: unknown) => string | undefined,
  report: (index: number, firstIndex: number) => void,
): void {
  const seen = new Map<string, number>();
  items.forEach((item, i) => {
    const k = key(item);
    if (k === undefined) return;
    const first = seen.get(k);
    if (first !== undefined) report(i, first);
    else seen.set(k, i);
  });
}

/**
 * The Dockerfile generator's own verdict on a master copy with `from` that passed every
 * other rule, at the value it is about: whatever build and preview would refuse, validation
 * refuses too, whichever rule it is.
 */
export function dockerfileDiagnostics(mc: MasterCopy, parsed: ParsedYaml): Diagnostic[] {
  if (mc.from === undefined) return [];
  try {
    generateDockerfile(
      mc,
      (mc.files ?? []).map((_, i) => `files/${i}`),
    );
    return [];
  } catch (e) {
    if (!(e instanceof BuildPlanError)) throw e;
    return [
      {
        severity: 'error',
        code: 'dockerfile',
        message: e.message,
        range: e.path ? valueRange(parsed, e.path) : (parsed.firstKey() ?? { start: 0, end: 0 }),
      },
    ];
  }
}
