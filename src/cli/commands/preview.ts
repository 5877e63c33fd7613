import { nodeBuildFileSystem } from '../../core/build/buildFileSystem';
import { nodeHttpProbe } from '../../core/copies/health';
import type { EngineClient } from '../../core/engine/EngineClient';
import { EngineHostError, isLocalEngine } from '../../core/engine/hostResolution';
import { nodeFileAccess } from '../../core/mastercopy/fileAccess';
import { formatSize } from '../../core/preview/html';
import { loadPreviewState, previewModel, type PreviewModel } from '../../core/preview/model';
import type { PreviewPlan } from '../../core/preview/plan';
import { EXIT, UsageError, type CliCommand } from '../command';
import {
  EXIT_CANCELLED,
  HOST_HELP,
  HOST_OPTION,
  engineFromArgs,
  parseCommandArgs,
  readFileArg,
  withCancel,
  writeJson,
} from '../engineFromArgs';
import { isAbortError } from '../../core/engine/errors';
import { oneLine, textBlock } from '../terminalText';
import { LineIndex } from '../../core/mastercopy/positions';

export const previewCommand: CliCommand = {
  name: 'preview',
  summary:
    'show the Dockerfile a master copy generates; with --plan, what build/print/promote would do',
  help: `Usage: mastercopy preview [--plan] [--json] [--host HOST] FILE

Prints the Dockerfile the master copy FILE generates (or, with \`dockerfile:\`, the
one it uses), so that it can be read or saved. Nothing is built or changed. On a
terminal, control characters in it (an ESC in an ENV value) are shown as \\u001b;
redirected to a file or a pipe, it is the exact text.

With --plan, also the build context (every file that goes into the image, with
its size) and what each command would do right now against the engine:
  Build     NAME:VERSION would be built / is up to date / exists with another
            digest and would be refused (bump \`version\`)
  Print ×N  how many copies it would add, and the copies of each version there are
  Promote   how many copies of this version it would print, and which versions'
            copies it would dispose of
An engine that does not answer is no error: the plan says so (engine-down).

With --json, one JSON object on stdout:
  {"status": "ok", "file", "tag", "digest",
   "dockerfile": {"source": "generated"|"user", "path", "text"},
   "context": [{"path", "type", "size", "mode", "origin"}],
   "plan": {"build", "print", "promote", "engine"}}        (only with --plan)
or, when FILE has errors, {"status": "invalid", "file", "problems": [{line, column,
endLine, endColumn, severity, message, code}]}.

Options:
      --plan       the build context and the plan, after the Dockerfile
      --json       the JSON object above on stdout
${HOST_HELP}

Problems are printed like \`mastercopy validate\` (FILE:LINE:COL: …) on stderr.

Exit codes: 0 shown (also with the engine down), 1 FILE has errors or cannot be
built, 2 usage error or unreadable file, 130 cancelled.
`,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(args, {
      plan: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      ...HOST_OPTION,
    });
    if (positionals.length !== 1)
      throw new UsageError(
        positionals.length
          ? 'preview one master copy at a time'
          : 'name the master copy file to preview',
      );
    const read = readFileArg(io, 'preview', positionals[0]);
    if (typeof read === 'number') return read;
    const { abs, shown, text } = read;
    if (read.problem) {
      // Not UTF-8: the one problem, at its first bad byte (nothing read from it would be right).
      const d = read.problem;
      const lines = new LineIndex(text);
      const s = lines.positionAt(d.range.start);
      const e = lines.positionAt(d.range.end);
      const problems = [
        {
          line: s.line + 1,
          column: s.character + 1,
          endLine: e.line + 1,
          endColumn: e.character + 1,
          severity: d.severity,
          message: d.message,
          code: d.code,
        },
      ];
      if (values.json) writeJson(io, { status: 'invalid', file: shown, problems });
      else
        io.stderr.write(
          `${oneLine(shown)}:${problems[0].line}:${problems[0].column}: error: ${oneLine(d.message)}\n` +
            `mastercopy preview: ${oneLine(shown)} has errors; fix them first (mastercopy validate ${oneLine(shown)}).\n`,
        );
      return EXIT.problems;
    }

    let engine: EngineClient | undefined;
    let noEngineReason: string | undefined;
    if (values.plan) {
      try {
        engine = engineFromArgs(values.host, io);
      } catch (e) {
        // A host that cannot be resolved is an engine that is not there: the plan says so.
        if (!(e instanceof EngineHostError)) throw e;
        noEngineReason = e.message;
      }
    }
    // Ports are published on the engine's 127.0.0.1: probe health only with a local engine.
    const probe = engine && isLocalEngine(engine.endpoint) ? nodeHttpProbe : undefined;

    let model: PreviewModel;
    try {
      const state = await withCancel((signal) =>
        loadPreviewState(text, abs, {
          engine,
          noEngineReason,
          fs: nodeBuildFileSystem,
          files: nodeFileAccess,
          probe,
          signal,
        }),
      );
      model = previewModel(text, abs, state);
    } catch (e) {
      if (!isAbortError(e)) throw e;
      io.stderr.write('mastercopy preview: cancelled.\n');
      return EXIT_CANCELLED;
    }

    const problems = model.problems.map((p) => ({
      line: p.line + 1,
      column: p.character + 1,
      endLine: p.endLine + 1,
      endColumn: p.endCharacter + 1,
      severity: p.severity,
      message: p.message,
      code: p.code,
    }));
    if (!values.json)
      for (const p of problems)
        io.stderr.write(
          `${oneLine(shown)}:${p.line}:${p.column}: ${p.severity}: ${oneLine(p.message)}\n`,
        );
    if (!model.valid || !model.plan) {
      if (values.json) writeJson(io, { status: 'invalid', file: shown, problems });
      else
        io.stderr.write(
          `mastercopy preview: ${oneLine(shown)} has errors; fix them first (mastercopy validate ${oneLine(shown)}).\n`,
        );
      return EXIT.problems;
    }

    const { dockerfile, context, plan } = model;
    if (values.json) {
      writeJson(io, {
        status: 'ok',
        file: shown,
        tag: plan.build.tag,
        digest: plan.build.digest,
        dockerfile: dockerfile
          ? { source: dockerfile.source, path: dockerfile.path, text: dockerfile.text }
          : null,
        context: context?.entries ?? [],
        ...(values.plan ? { plan } : {}),
      });
      return EXIT.ok;
    }
    if (dockerfile) {
      // The exact text when it goes to a file or a pipe; on a terminal, an ESC or BEL in a value is shown, not obeyed.
      const text = io.stdout.isTTY ? textBlock(dockerfile.text) : dockerfile.text;
      io.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
    } else
      io.stdout.write(
        `# The Dockerfile named by \`dockerfile:\` is larger than the preview shows; see the file itself.\n`,
      );
    if (values.plan) io.stdout.write(`\n${contextText(model)}\n${planText(plan)}`);
    return EXIT.ok;
  },
};

function contextText(model: PreviewModel): string {
  const c = model.context;
  if (!c) return '';
  const rows = c.entries.map((e) => [
    oneLine(
      `${e.path}${e.type === 'directory' ? '/' : ''}${e.linkTarget !== undefined ? ` -> ${e.linkTarget}` : ''}`,
    ),
    e.type === 'file' ? formatSize(e.size) : '',
    e.mode,
    oneLine(e.origin),
  ]);
  const widths = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i].length)));
  const lines = rows.map(
    (r) =>
      `  ${r[0].padEnd(widths[0])}  ${r[1].padStart(widths[1])}  ${r[2].padEnd(widths[2])}  ${r[3]}`,
  );
  return `Build context: ${c.files} ${c.files === 1 ? 'file' : 'files'}, ${formatSize(c.bytes)}\n${lines.join('\n')}\n`;
}

/** The plan as a person reads it, one part per block. */
export function planText(plan: PreviewPlan): string {
  const { build: b, print: pr, promote: pm, engine } = plan;
  const copies = (n: number) => `${n} ${n === 1 ? 'copy' : 'copies'}`;
  const out: string[] = [
    engine.reachable
      ? `Plan against ${engine.host ?? 'the engine'}:`
      : `Plan: the engine is not reachable — ${engine.error ?? 'no engine'}`,
  ];
  const part = (label: string, lines: string[]) =>
    lines.forEach((l, i) => out.push(`  ${(i ? '' : label).padEnd(10)}${l}`));

  const short = (d: string | undefined) => (d ?? '').replace(/^sha256:/, '').slice(0, 12);
  switch (b.state) {
    case 'up-to-date':
      part('Build', [`${b.tag} is up to date (digest ${short(b.digest)}): nothing to build.`]);
      break;
    case 'would-build':
      part('Build', [
        `${b.tag} would be built (digest ${short(b.digest)}).`,
        ...(b.baseImage && !b.baseImage.present
          ? [
              `but the base image ${b.baseImage.ref} is not on the engine, and a build never pulls: pull it first.`,
            ]
          : []),
      ]);
      break;
    case 'refused':
      part('Build', [
        b.foreignImage
          ? `refused: ${b.tag} exists and was not built by Master Copy — bump \`version\` or choose another \`name\`.`
          : `refused: ${b.tag} exists with another digest (${short(b.existingDigest)}, this is ${short(b.digest)}) — bump \`version\`.`,
      ]);
      break;
    case 'engine-down':
      part('Build', [
        `unknown (engine not reachable); this master copy's digest is ${short(b.digest)}.`,
      ]);
      break;
  }

  const running = pr.running.length
    ? `on the engine now: ${pr.running.map((v) => `${v.version} ×${v.count} (${v.running} running, ${v.healthy} healthy)`).join(', ')}`
    : 'no copies on the engine yet.';
  if (pr.blockedBy === 'engine-down')
    part(`Print ×${pr.copies}`, ['unknown (engine not reachable).']);
  else if (pr.blockedBy === 'refused')
    part(`Print ×${pr.copies}`, [
      'refused: it builds first, and that build would be refused.',
      running,
    ]);
  else {
    const range =
      pr.wouldAdd === 1
        ? `copy ${pr.firstIndex}`
        : `copies ${pr.firstIndex}–${pr.firstIndex + pr.wouldAdd - 1}`;
    part(`Print ×${pr.copies}`, [
      `would ${pr.wouldBuild ? 'build the image, then ' : ''}add ${copies(pr.wouldAdd)} of ${pm.to} (${range}).`,
      running,
    ]);
  }

  const gateway = pm.gateway
    ? [`the endpoint localhost:${pm.gateway.port} would move to ${pm.to}.`]
    : [];
  switch (pm.state) {
    case 'engine-down':
      part('Promote', ['unknown (engine not reachable).']);
      break;
    case 'refused':
      part('Promote', [`refused: ${pm.to} cannot be built.`]);
      break;
    case 'nothing-running':
      part('Promote', [
        `nothing runs yet: would print ${copies(pm.wouldPrint)} of ${pm.to}.`,
        ...gateway,
      ]);
      break;
    case 'up-to-date':
      part('Promote', [`only ${pm.to} runs, with ${copies(pm.target)}: nothing to promote.`]);
      break;
    case 'would-promote': {
      const thenDispose = pm.wouldDispose.length
        ? `, then dispose of ${pm.wouldDispose.map((d) => `${d.version} ×${d.count}`).join(', ')} once they are healthy`
        : '';
      part('Promote', [
        `would print ${copies(pm.wouldPrint)} of ${pm.to}${thenDispose}.`,
        ...gateway,
      ]);
      break;
    }
  }
  return out.map(oneLine).join('\n') + '\n';
}
