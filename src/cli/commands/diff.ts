import { promoteDiff, promoteDiffLines, type PromoteDiff } from '../../core/deploy/promoteDiff';
import { EXIT, UsageError, type CliCommand, type CliIo } from '../command';
import { oneLine } from '../terminalText';
import {
  EXIT_CANCELLED,
  HOST_HELP,
  HOST_OPTION,
  engineFromArgs,
  loadMasterCopy,
  parseCommandArgs,
  reportFailure,
  withCancel,
  writeJson,
  type LoadedMasterCopy,
} from '../engineFromArgs';

export const DIFF_JSON_HELP = `{name, version, active: {version, imageId, digest, seq, action, at, by,
                 git: {commit, dirty}|null, builtAt?}|null, changes: [{field, kind:
                 "added"|"removed"|"changed", before?, after?, diff?: [line], note?}],
                 notes: [text]}`;

export const diffCommand: CliCommand = {
  name: 'diff',
  summary: 'what a promote of FILE would change, field by field, against the active version',
  help: `Usage: mastercopy diff [--json] [--host HOST] FILE

Compares FILE with the version that serves now (the active one in the ledger), as its image
carries it — not with an older file — the way \`terraform plan\` says it:
  ~ env LOG_LEVEL: info → debug
  + file /srv/www/new.html: 0644, 12 B, sha256:…
  - label tier: gold
Compared: version, base image (\`from\`, and whether its tag now names another image than
the one the active version was built on), Dockerfile, build args and steps, files (by
content hash, with a unified diff of text files up to 64 KiB each; the old content is read
from the image without running it), env, secrets (by name and source: values are never
read), user, workdir, entrypoint, command, ports, health, runtime, volumes, labels, and
from the ledger and the engine: copies (as many as a promote would print), gateway and
autoscale. It says who promoted the active version, when, from which git commit, and when
its image was built. With nothing active, FILE is shown as all new. What cannot be compared
(an image built by an older Master Copy) is said so, never taken as unchanged.
\`mastercopy promote --dry-run FILE\` prints the same.

Options:
      --json   print ${DIFF_JSON_HELP}
${HOST_HELP}

Exit codes (as \`git diff --exit-code\`): 0 a promote would change nothing, 1 it would change
something (or everything: nothing is active), 2 usage error, unreadable or invalid FILE,
FILE cannot be built (a source is missing), or engine not reachable.
`,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(args, {
      json: { type: 'boolean', default: false },
      ...HOST_OPTION,
    });
    if (positionals.length !== 1)
      throw new UsageError(
        positionals.length ? 'compare one master copy at a time' : 'name the master copy file',
      );
    const loaded = loadMasterCopy(io, 'diff', positionals[0], { json: values.json });
    // 1 is "there are changes": a file that cannot be read or is invalid is a 2 here.
    if (typeof loaded === 'number') return loaded === EXIT.problems ? EXIT.usage : loaded;
    return printDiff(io, 'diff', loaded, { host: values.host, json: values.json });
  },
};

/** Computes and prints the diff of `loaded` (diff, promote --dry-run); returns the exit code. */
export async function printDiff(
  io: CliIo,
  command: string,
  loaded: LoadedMasterCopy,
  options: { host?: string; json?: boolean; copies?: number },
): Promise<number> {
  let diff: PromoteDiff;
  try {
    const engine = engineFromArgs(options.host, io);
    diff = await withCancel((signal) =>
      promoteDiff(engine, loaded.mc, loaded.folder, { signal, copies: options.copies }),
    );
  } catch (e) {
    // Said as everywhere (a source that is missing at its line); but 1 means "changes" here.
    const code = reportFailure(io, command, e, loaded);
    return code === EXIT_CANCELLED ? code : EXIT.usage;
  }
  if (options.json) writeJson(io, diff);
  else for (const line of promoteDiffLines(diff)) io.stdout.write(`${oneLine(line)}\n`);
  return diff.changes.length ? EXIT.problems : EXIT.ok;
}
