// A master copy → its Dockerfile and build context as plain files ("eject"), so that
// `docker build DIR` gives the image `mastercopy build` gives: the same plan (planBuild), the
// same context entries with the same modes, and the labels the build sends through the API
// written as LABEL lines, build args as ARG defaults.
// Not written: io.mastercopy.base-image-id, the id the engine's base image has when the build
// runs (a fact of that engine, not of the master copy).
import type { BuildFileSystem } from '../build/buildFileSystem';
import { planBuild, type BuildPlan } from '../build/plan';
import type { MasterCopy } from '../mastercopy/model';
import {
  hashComment,
  headerLines,
  type ExportFile,
  type ExportResult,
  type ExportSource,
} from './types';

/** A Dockerfile parser directive (`# syntax=…`, `# escape=…`): only before anything else. */
const DIRECTIVE = /^#\s*([A-Za-z][A-Za-z0-9_-]*)\s*=\s*(\S+)\s*$/;

export async function exportDockerfile(
  mc: MasterCopy,
  source: ExportSource,
  folder: string,
  fs: BuildFileSystem,
  signal?: AbortSignal,
): Promise<ExportResult> {
  const plan = await planBuild(mc, folder, fs, signal);
  const files: ExportFile[] = [];
  for (const e of plan.context) {
    if (e.path === plan.dockerfilePath) continue;
    files.push({
      path: e.path,
      type: e.type,
      mode: e.mode,
      content: e.content,
      hostPath: e.hostPath,
      identity: e.identity,
      sha256: e.sha256,
      size: e.size,
      linkTarget: e.linkTarget,
    });
  }
  const original = plan.dockerfileText ?? (await readDockerfile(plan, fs, signal));
  files.unshift({
    path: plan.dockerfilePath,
    type: 'file',
    mode: 0o644,
    content: ejectedDockerfile(mc, source, plan, original),
  });
  const notes =
    plan.dockerfilePath === 'Dockerfile'
      ? []
      : [`Build it with: docker build -f ${plan.dockerfilePath} DIR`];
  return { target: 'dockerfile', files, main: plan.dockerfilePath, notes };
}

/** The Dockerfile as `docker build` needs it alone: header, build args as defaults, labels. */
export function ejectedDockerfile(
  mc: MasterCopy,
  source: ExportSource,
  plan: BuildPlan,
  original: string,
): string {
  const lines = original.replace(/\n$/, '').split('\n');
  // Parser directives must stay first, and `escape` says how the labels are quoted.
  let directives = 0;
  let escape = '\\';
  while (directives < lines.length) {
    const m = DIRECTIVE.exec(lines[directives]!);
    if (!m) break;
    if (m[1]!.toLowerCase() === 'escape' && m[2] === '`') escape = '`';
    directives++;
  }
  const header = hashComment(
    [
      ...headerLines(mc, source, 'dockerfile'),
      `Build: docker build -t ${plan.tag} ${plan.dockerfilePath === 'Dockerfile' ? '' : `-f ${plan.dockerfilePath} `}DIR`,
      `Gives the image \`mastercopy build\` gives (digest ${plan.digest}); its labels are the LABEL lines at the end.`,
    ].map(commentSafe),
  );
  let body = lines.slice(directives);
  if (plan.dockerfileText !== undefined) {
    // Our generated ARG lines get the values the build would send as build args.
    body = body.map((l) => {
      const m = /^ARG ([A-Za-z_][A-Za-z0-9_]*)$/.exec(l);
      const value = m ? plan.buildArgs[m[1]!] : undefined;
      return value === undefined ? l : `ARG ${m![1]}=${quoted(value, escape)}`;
    });
  }
  const labels = Object.entries(plan.labels).map(
    ([k, v]) => `LABEL ${quoted(k, escape)}=${quoted(v, escape)}`,
  );
  return [...lines.slice(0, directives), header, ...body, ...labels].join('\n') + '\n';
}

/**
 * A double-quoted Dockerfile word: the escape character, `"` and `$` escaped, so it arrives
 * as written. A line break cannot be written in one: it is refused (a label or a build arg
 * never has one after validation; the JSON in io.mastercopy.master-copy escapes its own).
 */
function quoted(value: string, escape: string): string {
  if (/[\r\n]/.test(value))
    throw new Error('a label or build argument with a line break cannot be ejected');
  const special = new RegExp(`[${escape === '`' ? '`' : '\\\\'}"$]`, 'g');
  return `"${value.replace(special, (c) => `${escape}${c}`)}"`;
}

function commentSafe(line: string): string {
  return line.replace(
    /[\u0000-\u001f\u007f\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

async function readDockerfile(
  plan: BuildPlan,
  fs: BuildFileSystem,
  signal?: AbortSignal,
): Promise<string> {
  const entry = plan.context.find((e) => e.path === plan.dockerfilePath);
  if (!entry?.hostPath)
    throw new Error(`the Dockerfile ${plan.dockerfilePath} is not in the build context`);
  const chunks: Buffer[] = [];
  for await (const c of fs.read(entry.hostPath, signal, entry.identity))
    chunks.push(Buffer.from(c));
  return Buffer.concat(chunks).toString('utf8');
}
