// A master copy → .devcontainer/devcontainer.json: the workspace opened inside a container
// of the master copy's own image, with its env, user, capabilities and limits, its ports
// forwarded. JSON with comments, as the Dev Containers spec allows.
//
// Relaxed for a dev container, and said so in the file:
//  - the root filesystem is writable: the Dev Containers CLI and the editor's server write
//    into the container (the user's home, their own files) and the developer installs tools;
//  - the application's command does not run: the container waits (overrideCommand), so that
//    it stays up while the application is stopped, restarted or debugged;
//  - the volumes are the dev container's own (NAME-dev-VOLUME), never the printed copies' data.
// Secrets from the environment are `${localEnv:…}` references, resolved when the container
// starts, never a value; a secret from a file is left to the developer (a comment says so).
import { commandArgs } from '../build/dockerfile';
import { DEFAULT_TMPFS } from '../copies/spec';
import { normalizePort, type MasterCopy } from '../mastercopy/model';
import { setOwn } from '../util/ownProperty';
import { headerLines, imageName, type ExportResult, type ExportSource } from './types';

export const DEVCONTAINER_FILE = '.devcontainer/devcontainer.json';

export function exportDevcontainer(mc: MasterCopy, source: ExportSource): ExportResult {
  const runtime = mc.runtime ?? {};
  const lines = [
    ...headerLines(mc, source, 'devcontainer'),
    `Opens the workspace inside a container of ${imageName(mc)}, the image \`mastercopy build\` makes`,
    '(`mastercopy export --to devcontainer --build` builds it first, on the engine the CLI reaches).',
    'Relaxed for development, unlike a printed copy: the root filesystem is writable (the Dev Containers',
    "CLI and the editor's server write into the container), the application's command does not run (the",
    "container waits; start it from a terminal), and the volumes are the dev container's own.",
    'Kept as printed: the user, the environment, capabilities dropped, no-new-privileges, memory and CPUs.',
  ];

  const config: Record<string, unknown> = {
    name: `${mc.name} ${mc.version}`,
    image: imageName(mc),
  };
  if (mc.user !== undefined) {
    config.containerUser = mc.user;
    config.remoteUser = mc.user;
    // The image as built, not one rebuilt to match the host's UID.
    config.updateRemoteUserUID = false;
  }
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(mc.env ?? {})) setOwn(env, k, String(v));
  for (const s of mc.secrets ?? [])
    if (s.fromEnv !== undefined) setOwn(env, s.name, `\${localEnv:${s.fromEnv}}`);
  const fileSecrets = (mc.secrets ?? []).filter((s) => s.fromFile !== undefined);
  if (fileSecrets.length)
    lines.push(
      `Secrets from files (${fileSecrets.map((s) => s.name).join(', ')}) are not set: export them in the container's shell.`,
    );
  if (Object.keys(env).length) config.containerEnv = env;
  if (mc.workdir !== undefined)
    lines.push(`The image's workdir is ${mc.workdir}; the workspace is at /workspaces.`);

  const ports = (mc.ports ?? []).map(normalizePort).filter((p) => p.protocol === 'tcp');
  if (ports.length) config.forwardPorts = ports.map((p) => p.port);
  const runCommand =
    mc.entrypoint !== undefined || mc.command !== undefined
      ? [
          ...(mc.entrypoint !== undefined ? commandArgs(mc.entrypoint) : []),
          ...(mc.command !== undefined ? commandArgs(mc.command) : []),
        ]
      : undefined;
  if (runCommand) lines.push(`The application: ${JSON.stringify(runCommand)}`);
  config.overrideCommand = true;
  config.init = true;
  config.capAdd = runtime.capabilities?.add ?? [];
  if (runtime.noNewPrivileges ?? true) config.securityOpt = ['no-new-privileges:true'];
  const runArgs: string[] = [];
  for (const cap of runtime.capabilities?.drop ?? ['ALL']) runArgs.push(`--cap-drop=${cap}`);
  for (const path of runtime.tmpfs ?? DEFAULT_TMPFS) runArgs.push(`--tmpfs=${path}`);
  if (runtime.memory !== undefined) runArgs.push(`--memory=${runtime.memory}`);
  if (runtime.cpus !== undefined) runArgs.push(`--cpus=${runtime.cpus}`);
  config.runArgs = runArgs;
  const volumes = mc.volumes ?? [];
  if (volumes.length)
    config.mounts = volumes.map((v) => ({
      type: 'volume',
      source: `${mc.name}-dev-${v.name}`,
      target: v.path,
    }));
  const labels = Object.entries(mc.labels ?? {});
  if (labels.length)
    lines.push(
      `Labels of the printed copies (${labels.map(([k]) => k).join(', ')}) are not set here.`,
    );

  const text = `${lines.map(slashComment).join('\n')}\n${JSON.stringify(config, null, 2)}\n`;
  return {
    target: 'devcontainer',
    files: [{ path: DEVCONTAINER_FILE, type: 'file', mode: 0o644, content: text }],
    main: DEVCONTAINER_FILE,
    notes: [],
  };
}

/** A `//` comment line; a value's line break or separator is escaped so it cannot end the comment. */
function slashComment(line: string): string {
  return `// ${line.replace(/[\u0000-\u001f\u007f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)}`;
}

/** The devcontainer.json without its comments (a comment is only ever a whole `//` line here). */
export function devcontainerJson(text: string): unknown {
  return JSON.parse(
    text
      .split('\n')
      .filter((l) => !l.startsWith('//'))
      .join('\n'),
  );
}
