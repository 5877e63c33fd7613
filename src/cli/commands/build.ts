import { buildMasterCopy, type BuildEvent, type BuildResult } from '../../core/build/build';
import { BuildError, BuildRefusedError, BuildStepError } from '../../core/build/errors';
import { EngineHostError } from '../../core/engine/hostResolution';
import {
  HOST_OPTION,
  engineFromArgs,
  loadMasterCopy,
  parseCommandArgs,
  writeJson,
} from '../engineFromArgs';
import { EngineRequestError, EngineUnreachableError } from '../../core/engine/errors';
import { EXIT, UsageError, type CliCommand, type CliIo } from '../command';
import { oneLine } from '../terminalText';

const OUTPUT_TAIL = 20;

export const buildCommand: CliCommand = {
  name: 'build',
  summary: 'build the image of a master copy (NAME:VERSION, never rebuilt differently)',
  help: `Usage: mastercopy build [--host HOST] [--json] [--quiet] FILE

Builds the image of the master copy FILE, tagged NAME:VERSION and labelled with
io.mastercopy.name, io.mastercopy.version and io.mastercopy.digest (a sha256 of
the master copy and of every file it copies into the image).

A version is immutable:
  - NAME:VERSION exists with the same digest: nothing to do ("up to date");
  - NAME:VERSION exists with another digest: refused, the image is left alone —
    bump \`version\` in FILE.
The master copy is validated first. Nothing is pulled: the base image (\`from\`)
must already be on the engine. Secrets are never part of the image.

Options:
  -H, --host HOST  the Docker engine, like \`docker -H\` (unix:///…, tcp://…, ssh://…);
                   default: DOCKER_HOST, DOCKER_CONTEXT, the current docker context,
                   then unix:///var/run/docker.sock
      --json       print the result as one JSON object on stdout
  -q, --quiet      no progress on stderr

Progress goes to stderr: one updating line on a terminal, else one line per step.

Exit codes: 0 built or already up to date, 1 the master copy has errors, the build
failed or was refused, 2 usage error, unreadable file or engine not reachable,
130 cancelled (Ctrl-C).
`,
  async run(args, io) {
    const parsed = parseCommandArgs(args, {
      json: { type: 'boolean', default: false },
      quiet: { type: 'boolean', short: 'q', default: false },
      ...HOST_OPTION,
    });
    const { json, quiet, host } = parsed.values;
    if (parsed.positionals.length !== 1)
      throw new UsageError(
        parsed.positionals.length
          ? 'build one master copy at a time'
          : 'name the master copy file to build',
      );
    const loaded = loadMasterCopy(io, 'build', parsed.positionals[0], { json });
    if (typeof loaded === 'number') return loaded;
    const { mc, folder, shown } = loaded;

    let engine;
    try {
      engine = engineFromArgs(host, io);
    } catch (e) {
      if (e instanceof EngineHostError) return failUsage(io, json, e.message);
      throw e;
    }

    const progress = quiet ? undefined : progressReporter(io);
    const abort = new AbortController();
    const onSigint = () => abort.abort(new Error('cancelled'));
    process.once('SIGINT', onSigint);
    let result: BuildResult;
    try {
      result = await buildMasterCopy(engine, mc, folder, {
        onProgress: progress?.report,
        signal: abort.signal,
      });
    } catch (e) {
      progress?.done();
      if (abort.signal.aborted) {
        io.stderr.write('mastercopy build: cancelled; nothing was tagged.\n');
        return 130;
      }
      if (e instanceof EngineUnreachableError) return failUsage(io, json, e.message);
      if (e instanceof BuildError || e instanceof EngineRequestError) {
        const path = e instanceof BuildError ? e.path : undefined;
        const at = path ? loaded.locate(path) : undefined;
        const tail = e instanceof BuildStepError ? e.tail(OUTPUT_TAIL) : [];
        if (json) {
          writeJson(io, {
            status: e instanceof BuildRefusedError ? 'refused' : 'failed',
            file: shown,
            message: e.message,
            path,
            ...at,
            output: e instanceof BuildStepError ? e.output : undefined,
          });
        } else {
          io.stderr.write(
            `${at ? `${oneLine(shown)}:${at.line}:${at.column}: ` : ''}error: ${oneLine(e.message)}\n`,
          );
          if (tail.length)
            io.stderr.write(
              `Last lines of the build output:\n${tail.map((l) => `  ${oneLine(l)}`).join('\n')}\n`,
            );
        }
        return EXIT.problems;
      }
      throw e;
    } finally {
      process.removeListener('SIGINT', onSigint);
    }
    progress?.done();

    if (json)
      writeJson(io, {
        status: result.status,
        tag: result.tag,
        imageId: result.imageId,
        digest: result.digest,
      });
    else if (result.status === 'built')
      io.stdout.write(
        `Built ${result.tag}\n  image  ${result.imageId}\n  digest ${result.digest}\n`,
      );
    else
      io.stdout.write(
        `${result.tag} is already built with this content: up to date, nothing to do.\n` +
          `  image  ${result.imageId}\n  digest ${result.digest}\n`,
      );
    return EXIT.ok;
  },
};

function failUsage(io: CliIo, json: boolean | undefined, message: string): number {
  if (json) writeJson(io, { status: 'unreachable', message });
  io.stderr.write(`mastercopy build: ${oneLine(message)}\n`);
  return EXIT.usage;
}

/** Steps on stderr: one line rewritten in place on a terminal, plain lines otherwise. */
function progressReporter(io: CliIo): { report: (e: BuildEvent) => void; done: () => void } {
  const tty = io.stderr.isTTY === true;
  let shown = false;
  return {
    report(e) {
      if (e.kind !== 'step') return;
      // The instruction holds master copy values (an ENV value with an ESC in it, say).
      const instruction = oneLine(e.instruction);
      const line = `[${e.step}/${e.total}] ${instruction}`;
      if (!tty) {
        io.stderr.write(`Step ${e.step}/${e.total} : ${instruction}\n`);
        return;
      }
      const width = (io.stderr as { columns?: number }).columns ?? 80;
      io.stderr.write(`\r\u001b[K${line.length >= width ? `${line.slice(0, width - 2)}…` : line}`);
      shown = true;
    },
    done() {
      if (shown) io.stderr.write('\r\u001b[K');
      shown = false;
    },
  };
}
