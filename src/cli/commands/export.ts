import { basename, resolve } from 'node:path';
import { buildMasterCopy } from '../../core/build/build';
import {
  EXPORT_TARGETS,
  ExportFolderError,
  exportMasterCopy,
  isExportTarget,
  mainText,
  writeExport,
  type ExportResult,
} from '../../core/export';
import { EXIT, UsageError, type CliCommand } from '../command';
import {
  HOST_HELP,
  HOST_OPTION,
  engineFromArgs,
  loadMasterCopy,
  parseCommandArgs,
  progressWriter,
  reportFailure,
  withCancel,
  writeJson,
} from '../engineFromArgs';
import { oneLine } from '../terminalText';

export const exportCommand: CliCommand = {
  name: 'export',
  summary:
    'FILE as Kubernetes/OpenShift manifests, a Compose file, a devcontainer.json or a plain Dockerfile',
  help: `Usage: mastercopy export FILE --to TARGET [--out DIR] [--json] [--build [--host HOST]]

Writes the master copy FILE for another tool, hardened as a printed copy is. TARGET:
  kubernetes    kubernetes.yaml: Deployment (replicas = copies, rolling update with
                maxUnavailable 0, probes from health, read-only root, capabilities,
                limits, emptyDir for tmpfs), Service (the gateway port as its port),
                a PersistentVolumeClaim per volume, a ConfigMap for inline files,
                secrets by name only (the header says how to create them)
  openshift     openshift.yaml: the same for the restricted-v2 SCC, plus a Route for the gateway
  compose       compose.yaml: the same hardening, deploy.replicas, healthcheck, volumes,
                secrets as Compose secrets, ports on 127.0.0.1, its own network
  devcontainer  .devcontainer/devcontainer.json: the workspace inside a container of the
                image, with its env, user and ports (the root filesystem writable: it says why)
  dockerfile    the Dockerfile and its build context as files, labels included, so that
                \`docker build DIR\` gives the image \`mastercopy build\` gives (needs --out,
                an empty or new folder)
Every export says in its header which master copy and version it comes from. No secret
value is ever written.

Options:
      --to TARGET  ${EXPORT_TARGETS.join(', ')}
  -o, --out DIR    write the files into DIR (made when missing); without it the one file
                   of the export is printed on stdout
      --json       print {target, main, files: [path], notes, out?} (with --out) or
                   {target, main, files: [{path, content}], notes}
      --build      devcontainer: build the image first (as \`mastercopy build\`; a no-op
                   when it is up to date)
${HOST_HELP}
Exit codes: 0 exported, 1 FILE has errors, a source cannot be read or the build failed,
2 usage error, unreadable FILE, DIR not empty (dockerfile), or engine not reachable.
`,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(args, {
      to: { type: 'string' },
      out: { type: 'string', short: 'o' },
      json: { type: 'boolean', default: false },
      build: { type: 'boolean', default: false },
      ...HOST_OPTION,
    });
    if (positionals.length !== 1)
      throw new UsageError(
        positionals.length ? 'export one master copy at a time' : 'name the master copy file',
      );
    const target = values.to;
    if (target === undefined || !isExportTarget(target))
      throw new UsageError(`--to must be one of ${EXPORT_TARGETS.join(', ')}`);
    if (target === 'dockerfile' && values.out === undefined)
      throw new UsageError('--to dockerfile writes a folder: give it one with --out DIR');
    if (values.build && target !== 'devcontainer')
      throw new UsageError('--build goes with --to devcontainer');
    const loaded = loadMasterCopy(io, 'export', positionals[0]!, { json: values.json });
    if (typeof loaded === 'number') return loaded;

    let result: ExportResult;
    let written: string[] | undefined;
    const out = values.out !== undefined ? resolve(io.cwd, values.out) : undefined;
    try {
      if (values.build) {
        const engine = engineFromArgs(values.host, io);
        const progress = progressWriter(io, values.json);
        const built = await withCancel((signal) =>
          buildMasterCopy(engine, loaded.mc, loaded.folder, { signal }),
        );
        progress(`${built.tag}: ${built.status === 'built' ? 'built' : 'up to date'}`);
      }
      result = await withCancel((signal) =>
        exportMasterCopy(
          loaded.mc,
          target,
          { fileName: basename(loaded.shown) },
          { folder: loaded.folder, signal },
        ),
      );
      if (out !== undefined)
        written = await withCancel((signal) => writeExport(result, out, undefined, signal));
    } catch (e) {
      if (e instanceof ExportFolderError) {
        io.stderr.write(`mastercopy export: ${oneLine(e.message)}\n`);
        return EXIT.usage;
      }
      return reportFailure(io, 'export', e, loaded);
    }

    if (values.json) {
      writeJson(
        io,
        written
          ? {
              target,
              main: result.main,
              files: result.files.map((f) => f.path),
              notes: result.notes,
              out,
            }
          : {
              target,
              main: result.main,
              files: [{ path: result.main, content: mainText(result) }],
              notes: result.notes,
            },
      );
    } else if (written) {
      io.stdout.write(
        `Exported ${oneLine(loaded.mc.name)} ${oneLine(loaded.mc.version)} to ${oneLine(out!)}: ${oneLine(result.main)}` +
          (result.files.length > 1 ? ` and ${result.files.length - 1} more` : '') +
          '\n',
      );
    } else {
      io.stdout.write(mainText(result));
    }
    for (const note of values.json ? [] : result.notes) io.stderr.write(`${oneLine(note)}\n`);
    return EXIT.ok;
  },
};
