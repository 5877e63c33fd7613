import { checkDrift, driftLines } from '../../core/drift/drift';
import { replaceDrifted } from '../../core/drift/replace';
import { EXIT, UsageError, type CliCommand } from '../command';
import { healthProberFromArgs, PROBE_HELP, PROBE_OPTIONS } from '../deployFromArgs';
import { oneLine } from '../terminalText';
import {
  HOST_HELP,
  HOST_OPTION,
  engineFromArgs,
  masterCopyNameArg,
  parseCommandArgs,
  reportFailure,
  withCancel,
  writeJson,
} from '../engineFromArgs';

export const driftCommand: CliCommand = {
  name: 'drift',
  summary: 'find copies that no longer match their version (configuration shift)',
  help: `Usage: mastercopy drift [--replace] [--json] [--host HOST] [FILE|NAME]

Compares every copy (of FILE's or NAME's master copy, or of all of them) with what its
version says: the master copy its image was built from (carried by the image), not
today's file; and each keeper with what it was started as. Said exactly: "copy 1 of shop
1.0.0: memory 64m → 128m (changed in place)". Checked: the image, labels, command,
entrypoint, user, workdir, env (values the master copy or the image set; a variable
nobody set is reported without its value), secrets (present, and alike on every copy of
the version: compared by hash, never shown), published ports, read-only root, tmpfs,
capabilities, no-new-privileges, privileged, mounts and volumes, networks, and memory,
CPUs and restart policy (which \`docker update\` changes on a running container: "changed
in place"); in a copy with a writable root, the files changed, added or deleted since it
started (tmpfs and volume paths left out: "copy 0 of shop 1.0.0: /etc/hosts.allow
added"). A copy whose image is gone or was built by an older Master Copy is reported as
"cannot check", never as clean.

With --replace, the drifted copies of FILE's or NAME's master copy are replaced, never
repaired: a fresh copy of the same version (from its image) each, and the drifted ones go
once those are healthy. Copies of the active version behind a gateway are replaced by the
keeper, which drains them first: no request through the endpoint fails. A fresh copy that
never becomes healthy is taken back and the drifted ones are left running.

Options:
      --replace  replace the drifted copies (needs FILE or NAME)
      --json     print [{role: "copy"|"keeper", name, version, index, id,
                 state: "clean"|"drifted"|"cannot-check", reason?,
                 items: [{what, expected, actual, inPlace}]}] (after --replace: the new state)
${HOST_HELP}
${PROBE_HELP}

Exit codes: 0 every copy matches (or there are none), 1 a copy drifted or cannot be
checked, 2 usage error, unreadable file or engine not reachable.
`,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(args, {
      json: { type: 'boolean', default: false },
      replace: { type: 'boolean', default: false },
      ...HOST_OPTION,
      ...PROBE_OPTIONS,
    });
    if (positionals.length > 1) throw new UsageError('give at most one master copy file or name');
    const name = masterCopyNameArg(io, 'drift', positionals[0]);
    if (typeof name === 'number') return name;
    if (values.replace && !name)
      throw new UsageError('--replace needs the master copy: give its FILE or NAME');
    try {
      const engine = engineFromArgs(values.host, io);
      let copies = await withCancel((signal) => checkDrift(engine, name, signal));
      if (
        values.replace &&
        name &&
        copies.some((c) => c.state === 'drifted' && c.role === 'copy')
      ) {
        for (const c of copies)
          for (const line of c.state === 'drifted' ? driftLines(c) : [])
            io.stderr.write(`${oneLine(line)}\n`);
        const replaced = await withCancel((signal) =>
          replaceDrifted(engine, name, copies, {
            signal,
            prober: healthProberFromArgs(engine, io, values),
            onProgress: (line) => io.stderr.write(`${oneLine(line)}\n`),
          }),
        );
        io.stderr.write(
          `Replaced ${replaced.replaced.length} drifted cop${replaced.replaced.length === 1 ? 'y' : 'ies'}.\n`,
        );
        copies = await withCancel((signal) => checkDrift(engine, name, signal));
      }
      if (values.json) writeJson(io, copies);
      else if (copies.length === 0)
        io.stdout.write(name ? `No copies of ${oneLine(name)}.\n` : 'No copies.\n');
      else
        for (const c of copies)
          for (const line of driftLines(c)) io.stdout.write(`${oneLine(line)}\n`);
      return copies.every((c) => c.state === 'clean') ? EXIT.ok : EXIT.problems;
    } catch (e) {
      return reportFailure(io, 'drift', e);
    }
  },
};
