// Validation benchmark: our validator against yaml-language-server's
// `doValidation` (the npm package), on the same ~2,000-line master copy with the
// same schema (schemas/mastercopy.schema.json), in one process, side by side.
//
// Cases:
//  - fresh: a document neither side has seen (ours: `validateText`, and a new
//    `MasterCopyValidator` on a new key; peer: a new URI);
//  - one-character edit: the same open document, each call differing from the
//    previous one by one character. The edits rotate over several places spread
//    over the document (build args, env, ports, health, labels, inline file
//    contents at the start, middle and end), typing a character and later
//    undoing it, so no call's text equals the previous call's. The peer gets
//    each edit as a new version of its document (it caches by URI + version).
//
// Samples are taken in blocks (peer block, our block, order alternating), after
// a warm-up of both sides.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SegmentedParser } from '../src/core/mastercopy/segmentedParser';
import {
  MasterCopyValidator,
  validateParsed,
  validateText,
  type ValidationResult,
} from '../src/core/mastercopy/validator';
import { bigMasterCopy } from '../test/support/bigMasterCopy';
import type { Report } from './lib/report';
import { fmtMs, fmtRatio, summarize, timeAsync, timeSync, type Summary } from './lib/stats';

// The peer's types, written out so this file needs no ESM type resolution.
interface PeerDiagnostic {
  range: { start: { line: number; character: number } };
  message: string;
  severity?: number;
}
interface PeerTextDocument {
  uri: string;
  version: number;
  getText(): string;
}
interface PeerLanguageService {
  configure(settings: {
    validate?: boolean;
    schemas?: { uri: string; fileMatch: string[]; schema?: unknown }[];
  }): void;
  doValidation(document: PeerTextDocument, isKubernetes: boolean): Promise<PeerDiagnostic[]>;
}

interface Edit {
  where: string;
  at: number;
  remove: number;
  insert: string;
}

const SCHEMA_URI = 'file:///bench/schemas/mastercopy.schema.json';

export async function run(report: Report): Promise<void> {
  const samples = report.options.samples ?? (report.options.quick ? 20 : 100);
  const warmup = report.options.quick ? 5 : 20;
  const block = 10;

  const base = bigMasterCopy(2000);
  const lineCount = base.split('\n').length - 1;
  const schema = JSON.parse(
    readFileSync(join(report.root, 'schemas/mastercopy.schema.json'), 'utf8'),
  );

  // --- the peer -------------------------------------------------------------
  const yls = (await import('yaml-language-server')) as unknown as {
    getLanguageService(params: {
      schemaRequestService: (uri: string) => Promise<string>;
      workspaceContext: { resolveRelativePath(relativePath: string, resource: string): string };
    }): PeerLanguageService;
  };
  const { TextDocument } = (await import('vscode-languageserver-textdocument')) as unknown as {
    TextDocument: {
      create(uri: string, languageId: string, version: number, content: string): PeerTextDocument;
    };
  };
  // The peer keeps every parsed document by URI; fresh documents are dropped
  // from it after each sample so memory stays flat.
  let peerDocCache: { cache: Map<string, unknown> } | undefined;
  try {
    const m = (await import(
      'yaml-language-server/out/src/languageservice/parser/yaml-documents.js' as string
    )) as { yamlDocumentsCache: { cache: Map<string, unknown> } };
    peerDocCache = m.yamlDocumentsCache;
  } catch {
    peerDocCache = undefined;
  }
  const peer = yls.getLanguageService({
    schemaRequestService: (uri) =>
      Promise.reject(
        new Error(`the benchmark gives the schema inline; no request expected for ${uri}`),
      ),
    workspaceContext: {
      resolveRelativePath: (relativePath, resource) => new URL(relativePath, resource).toString(),
    },
  });
  peer.configure({ validate: true, schemas: [{ uri: SCHEMA_URI, fileMatch: ['*'], schema }] });

  // --- the edits --------------------------------------------------------------
  const edits = findEdits(base);
  const P = edits.length;
  // Step k flips edit k % P: after P steps all are applied, after 2P all undone.
  const seq: string[] = [];
  const active = new Array<boolean>(P).fill(false);
  for (let k = 0; k < 2 * P; k++) {
    active[k % P] = !active[k % P];
    seq.push(
      applyEdits(
        base,
        edits.filter((_, i) => active[i]),
      ),
    );
  }
  let prev = base;
  let allOneApart = true;
  for (const t of seq) {
    if (!oneCharApart(prev, t)) allOneApart = false;
    prev = t;
  }
  report.check('each edit text differs from the one before by exactly one character', allOneApart);

  report.heading('Validation: ours vs yaml-language-server doValidation');
  report.line(
    `Document: bigMasterCopy(2000), ${lineCount} lines, ${base.length} characters; schema: schemas/mastercopy.schema.json (same for both).`,
  );
  report.line(
    `Edits (${P} places, each typed and later undone): ${edits.map((e) => e.where).join('; ')}.`,
  );
  report.line(
    `Samples: ${samples} per case (after ${warmup} warm-up calls each), in blocks of ${block}, peer and ours alternating which goes first.`,
  );

  // --- first call in this process (informational) -----------------------------
  const firstOurs = timeSync(() => validateText(base));
  const firstPeer = await timeAsync(() =>
    peer.doValidation(
      TextDocument.create('file:///bench/first.mastercopy.yaml', 'yaml', 1, base),
      false,
    ),
  );
  peerDocCache?.cache.delete('file:///bench/first.mastercopy.yaml');

  // --- correctness checks (outside timing) ------------------------------------
  const problems: string[] = [];
  const oursErrors = (r: ValidationResult, label: string) => {
    const errs = r.diagnostics.filter((d) => d.severity === 'error');
    if (errs.length && problems.length < 10)
      problems.push(
        `ours, ${label}: ${errs.length} error(s), first: ${errs[0].code} ${errs[0].message}`,
      );
    return r.diagnostics.length;
  };
  const peerFindings: string[] = [];
  const peerCount = (ds: PeerDiagnostic[], label: string) => {
    if (ds.length && peerFindings.length < 10)
      for (const d of ds.slice(0, 3))
        peerFindings.push(
          `${label}: line ${d.range.start.line + 1}:${d.range.start.character + 1} severity ${d.severity}: ${d.message}`,
        );
    return ds.length;
  };
  report.check(
    'ours: the first validation has no diagnostics',
    oursErrors(firstOurs.result, 'first') === 0,
    problems.join(' | '),
  );
  report.check(
    'peer: the first validation has no diagnostics',
    peerCount(firstPeer.result, 'peer, first') === 0,
    peerFindings.join(' | '),
  );

  // --- the cases ------------------------------------------------------------
  let freshId = 0;
  const peerFresh = async () => {
    const uri = `file:///bench/fresh-${freshId++}.mastercopy.yaml`;
    const doc = TextDocument.create(uri, 'yaml', 1, base);
    const r = await timeAsync(() => peer.doValidation(doc, false));
    peerDocCache?.cache.delete(uri);
    return { ms: r.ms, count: peerCount(r.result, 'peer, fresh') };
  };
  const oursFreshText = async () => {
    const r = timeSync(() => validateText(base));
    return { ms: r.ms, count: oursErrors(r.result, 'fresh validateText') };
  };
  const oursFreshValidator = async () => {
    const key = `fresh-${freshId++}`;
    const validator = new MasterCopyValidator();
    const r = timeSync(() => validator.validate(key, base));
    return { ms: r.ms, count: oursErrors(r.result, 'fresh MasterCopyValidator') };
  };

  // The open document each side edits.
  const editUri = 'file:///bench/edited.mastercopy.yaml';
  let peerVersion = 1;
  let peerStep = 0;
  await peer.doValidation(TextDocument.create(editUri, 'yaml', peerVersion, base), false);
  const peerSeen: string[] = [];
  const peerEdit = async () => {
    const text = seq[peerStep++ % seq.length];
    const doc = TextDocument.create(editUri, 'yaml', ++peerVersion, text);
    const r = await timeAsync(() => peer.doValidation(doc, false));
    if (peerSeen.length < seq.length) peerSeen.push(doc.getText());
    return { ms: r.ms, count: peerCount(r.result, 'peer, edit') };
  };
  const validator = new MasterCopyValidator();
  const editKey = 'edited';
  validator.validate(editKey, base);
  // As the editor does once a document is open: fill the cache while idle.
  validator.warm(editKey, base);
  let oursStep = 0;
  const oursSeen: string[] = [];
  const oursEdit = async () => {
    const text = seq[oursStep++ % seq.length];
    const r = timeSync(() => validator.validate(editKey, text));
    if (oursSeen.length < seq.length) oursSeen.push(text);
    return { ms: r.ms, count: oursErrors(r.result, 'edit') };
  };
  // Our edit, split: the incremental parse alone, then the checks alone.
  const splitParser = new SegmentedParser();
  splitParser.parse(base);
  let splitStep = 0;
  const reparsedUnits: number[] = [];
  const oursEditParseOnly = async () => {
    const text = seq[splitStep++ % seq.length];
    const r = timeSync(() => splitParser.parse(text));
    reparsedUnits.push(
      splitParser.lastStats.whole ? -1 : splitParser.lastStats.units - splitParser.lastStats.reused,
    );
    lastSplitParsed = r.result;
    return { ms: r.ms, count: 0 };
  };
  let lastSplitParsed = splitParser.parse(base);
  const oursEditChecksOnly = async () => {
    const r = timeSync(() => validateParsed(lastSplitParsed, {}, undefined));
    return { ms: r.ms, count: oursErrors(r.result, 'checks only') };
  };

  type Sampler = () => Promise<{ ms: number; count: number }>;
  const measure = async (
    peerFn: Sampler,
    ourFns: Sampler[],
  ): Promise<{ peer: Summary; ours: Summary[]; peerDiags: number; ourDiags: number }> => {
    for (let i = 0; i < warmup; i++) {
      await peerFn();
      for (const f of ourFns) await f();
    }
    const peerMs: number[] = [];
    const ourMs: number[][] = ourFns.map(() => []);
    let peerDiags = 0;
    let ourDiags = 0;
    for (let round = 0; peerMs.length < samples; round++) {
      const n = Math.min(block, samples - peerMs.length);
      const runPeer = async () => {
        for (let i = 0; i < n; i++) {
          const r = await peerFn();
          peerMs.push(r.ms);
          peerDiags += r.count;
        }
      };
      const runOurs = async () => {
        for (let j = 0; j < ourFns.length; j++) {
          for (let i = 0; i < n; i++) {
            const r = await ourFns[j]();
            ourMs[j].push(r.ms);
            ourDiags += r.count;
          }
        }
      };
      if (round % 2 === 0) {
        await runPeer();
        await runOurs();
      } else {
        await runOurs();
        await runPeer();
      }
    }
    return { peer: summarize(peerMs), ours: ourMs.map(summarize), peerDiags, ourDiags };
  };

  const fresh = await measure(peerFresh, [oursFreshText, oursFreshValidator]);
  const edit = await measure(peerEdit, [oursEdit]);
  // The split is measured on its own (its two halves must run in turn on the same text).
  const splitMs = { parse: [] as number[], checks: [] as number[] };
  for (let i = 0; i < warmup + samples; i++) {
    const p = await oursEditParseOnly();
    const c = await oursEditChecksOnly();
    if (i >= warmup) {
      splitMs.parse.push(p.ms);
      splitMs.checks.push(c.ms);
    }
  }
  const parseOnly = summarize(splitMs.parse);
  const checksOnly = summarize(splitMs.checks);

  // --- checks after the run -------------------------------------------------
  report.check(
    'both sides validated the same edited texts, in the same order',
    peerSeen.length === seq.length && peerSeen.every((t, i) => t === oursSeen[i]),
  );
  report.check(
    'ours: no diagnostics on any sample (the document is valid)',
    problems.length === 0 && fresh.ourDiags === 0 && edit.ourDiags === 0,
    problems.join(' | '),
  );
  report.check(
    'peer: no diagnostics on any sample',
    peerFindings.length === 0 && fresh.peerDiags === 0 && edit.peerDiags === 0,
    peerFindings.join(' | '),
  );
  // Incremental results equal a full validation, for every text of the edit cycle.
  const checkValidator = new MasterCopyValidator();
  checkValidator.validate('k', base);
  checkValidator.warm('k', base);
  let same = true;
  let firstDiff = '';
  for (const t of seq) {
    const inc = checkValidator.validate('k', t);
    const full = validateText(t);
    if (
      JSON.stringify(inc.diagnostics) !== JSON.stringify(full.diagnostics) ||
      JSON.stringify(inc.masterCopy) !== JSON.stringify(full.masterCopy)
    ) {
      same = false;
      firstDiff ||= `differs after edit of ${t.length} chars`;
    }
  }
  report.check(
    'ours: incremental result equals a full validation for every edited text',
    same,
    firstDiff,
  );
  const peerCacheWorks = peerDocCache ? peerDocCache.cache.has(editUri) : false;
  report.check(
    'peer: its document cache was found and holds the edited document (so fresh documents were really dropped)',
    peerCacheWorks,
  );

  // --- the table ---------------------------------------------------------------
  const row = (label: string, p: Summary | undefined, o: Summary, target: string) => [
    label,
    p ? fmtMs(p.median) : '',
    p ? fmtMs(p.p90) : '',
    fmtMs(o.median),
    fmtMs(o.p90),
    p ? fmtRatio(p.median / o.median) : '',
    p ? fmtRatio(p.p90 / o.p90) : '',
    target,
  ];
  const freshRatioText = fresh.peer.median / fresh.ours[0].median;
  const freshRatioValidator = fresh.peer.median / fresh.ours[1].median;
  const editRatio = edit.peer.median / edit.ours[0].median;
  const verdict = (r: number, t: number) => `≥${t}× — ${r >= t ? 'met' : 'NOT met'}`;
  report.table(
    [
      'case',
      'peer median ms',
      'peer p90 ms',
      'ours median ms',
      'ours p90 ms',
      'peer/ours (median)',
      'peer/ours (p90)',
      'target',
    ],
    [
      row('fresh document: validateText', fresh.peer, fresh.ours[0], verdict(freshRatioText, 1)),
      row(
        'fresh document: new MasterCopyValidator',
        fresh.peer,
        fresh.ours[1],
        verdict(freshRatioValidator, 1),
      ),
      row(
        'one-character edit: MasterCopyValidator',
        edit.peer,
        edit.ours[0],
        verdict(editRatio, 3),
      ),
      row('  of which: incremental parse', undefined, parseOnly, ''),
      row('  of which: schema + semantic checks', undefined, checksOnly, ''),
    ],
  );
  const reparsed = reparsedUnits.slice(warmup);
  const wholeCount = reparsed.filter((u) => u === -1).length;
  const wholeFallback = wholeCount
    ? `${wholeCount} of ${reparsed.length} edits fell back to a whole parse; `
    : '';
  const piecesPerEdit = [...new Set(reparsed.filter((u) => u >= 0))].sort((a, b) => a - b);
  report.line(
    `Incremental parse: ${wholeFallback}pieces re-parsed per edit: ${piecesPerEdit.join(', ')}.`,
  );
  report.line(
    'First call in this process (one sample, includes lazy set-up such as the peer resolving ' +
      `and compiling the schema): peer ${fmtMs(firstPeer.ms)} ms, ours ${fmtMs(firstOurs.ms)} ms.`,
  );
  report.value('lines', lineCount);
  report.value('fresh.peer.median', fresh.peer.median);
  report.value('fresh.validateText.median', fresh.ours[0].median);
  report.value('fresh.validator.median', fresh.ours[1].median);
  report.value('edit.peer.median', edit.peer.median);
  report.value('edit.ours.median', edit.ours[0].median);
  report.value('edit.parseOnly.median', parseOnly.median);
  report.value('edit.checksOnly.median', checksOnly.median);
  report.value('ratio.fresh.validateText', freshRatioText);
  report.value('ratio.fresh.validator', freshRatioValidator);
  report.value('ratio.edit', editRatio);
}

/** The places edited, found in the generated document by their text (so they survive changes to the generator). */
function findEdits(text: string): Edit[] {
  const lineAt = (startsWith: string, from = 0): number => {
    const i = text.indexOf('\n' + startsWith, from);
    if (i === -1) throw new Error(`bench: no line starting with ${JSON.stringify(startsWith)}`);
    return i + 1;
  };
  const inLine = (lineStart: number, needle: string): number => {
    const end = text.indexOf('\n', lineStart);
    const i = text.slice(lineStart, end).indexOf(needle);
    if (i === -1)
      throw new Error(
        `bench: ${JSON.stringify(needle)} not in line ${JSON.stringify(text.slice(lineStart, end))}`,
      );
    return lineStart + i;
  };
  const files = text.match(/\/etc\/app\/conf\.d\/\d+\.yaml/g) ?? [];
  if (files.length < 3) throw new Error('bench: expected inline files in the document');
  const fileLine = (path: string, setting: string) =>
    lineAt(`      ${setting}:`, text.indexOf(path));
  const mid = files[Math.floor(files.length / 2)];
  const last = files[files.length - 1];
  const edits: Edit[] = [];
  // Replace one character.
  const replace = (where: string, at: number, by: string) =>
    edits.push({ where, at, remove: 1, insert: by });
  // Type one character.
  const type = (where: string, at: number, ch: string) =>
    edits.push({ where, at, remove: 0, insert: ch });

  let l = lineAt('    ARG_7: value-7');
  replace('build.args value (replace a digit)', inLine(l, 'value-7') + 6, '8');
  l = lineAt('  SETTING_40: "value 40"');
  type('env value (type a letter)', inLine(l, 'value 40') + 6, 'x');
  l = lineAt('  - 9013');
  replace('port number (replace 9013 by 8013)', inLine(l, '9013'), '8');
  l = lineAt('  retries: 3');
  replace('health.retries (replace 3 by 4)', inLine(l, '3'), '4');
  l = lineAt('  team.25: payments-25');
  type('label value (type a letter)', inLine(l, 'payments') + 8, 'x');
  l = fileLine(files[3], 'setting_5');
  type(`inline content of ${files[3]} (type a digit)`, inLine(l, ': ') + 2, '1');
  l = fileLine(mid, 'setting_9');
  replace(`inline content of ${mid} (replace a letter in a comment)`, inLine(l, '# line') + 2, 'L');
  l = fileLine(last, 'setting_13');
  type(`inline content of ${last} (type a letter)`, inLine(l, '# line') + 2, 'x');
  return edits;
}

function applyEdits(text: string, edits: Edit[]): string {
  let out = text;
  for (const e of [...edits].sort((a, b) => b.at - a.at))
    out = out.slice(0, e.at) + e.insert + out.slice(e.at + e.remove);
  return out;
}

/** True when b is a with exactly one character replaced, inserted or deleted. */
function oneCharApart(a: string, b: string): boolean {
  if (Math.abs(a.length - b.length) > 1 || a === b) return false;
  let p = 0;
  while (p < a.length && p < b.length && a[p] === b[p]) p++;
  let sa = a.length;
  let sb = b.length;
  while (sa > p && sb > p && a[sa - 1] === b[sb - 1]) {
    sa--;
    sb--;
  }
  return sa - p <= 1 && sb - p <= 1;
}
