// JSON Schema validation (precompiled ajv) turned into messages a person can
// act on, each at the exact key or value it is about.
import validateSchema = require('./generated/schemaValidator');
import type { SchemaError } from './generated/schemaValidator';
import type { Diagnostic, OffsetRange } from './diagnostic';
import { displayPath, schemaAt } from './schema';
import type { ParsedYaml, PathSegment } from './yamlSource';

export function schemaDiagnostics(value: unknown, parsed: ParsedYaml): Diagnostic[] {
  if (validateSchema(value)) return [];
  const errors = simplify(validateSchema.errors ?? [], value);
  const out: Diagnostic[] = [];
  const seen = new Set<string>();
  for (const e of errors) {
    const d = toDiagnostic(e, value, parsed);
    const k = `${d.range.start}:${d.range.end}:${d.message}`;
    if (!seen.has(k)) {
      seen.add(k);
      out.push(d);
    }
  }
  return out;
}

/** JSON pointer → path, with array indices as numbers (decided by the data itself). */
export function pointerToPath(pointer: string, data: unknown): PathSegment[] {
  if (!pointer) return [];
  const path: PathSegment[] = [];
  let cur: unknown = data;
  for (const raw of pointer.slice(1).split('/')) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    const isIndex = Array.isArray(cur) && /^\d+$/.test(seg);
    path.push(isIndex ? Number(seg) : seg);
    cur = cur && typeof cur === 'object' ? (cur as Record<string, unknown>)[seg] : undefined;
  }
  return path;
}

interface Simplified {
  error: SchemaError;
  /** Replaces the generated message when set. */
  message?: string;
}

/**
 * ajv reports every branch of an anyOf/oneOf. Keep the branch that fits the
 * value's type; when none does, say what types are allowed, once.
 */
function simplify(errors: SchemaError[], data: unknown): Simplified[] {
  const out: Simplified[] = [];
  const consumed = new Set<number>();
  for (let i = 0; i < errors.length; i++) {
    const e = errors[i];
    if (e.keyword !== 'anyOf' && e.keyword !== 'oneOf') continue;
    const p = e.instancePath;
    // Branch errors come right before their anyOf/oneOf, at the same place or deeper.
    let j = i - 1;
    while (
      j >= 0 &&
      !consumed.has(j) &&
      (errors[j].instancePath === p || errors[j].instancePath.startsWith(p + '/')) &&
      errors[j].keyword !== 'anyOf' &&
      errors[j].keyword !== 'oneOf'
    )
      j--;
    const branch = errors.slice(j + 1, i).map((err, k) => ({ err, idx: j + 1 + k }));
    branch.forEach((b) => consumed.add(b.idx));
    consumed.add(i);

    const passing = e.params.passingSchemas;
    if (Array.isArray(passing)) {
      out.push({
        error: e,
        message: `Give only one of ${requiredNames(e).join(' or ')}, not both.`,
      });
      continue;
    }
    if (
      branch.length > 0 &&
      branch.every((b) => b.err.keyword === 'required' && b.err.instancePath === p)
    ) {
      out.push({
        error: e,
        message: `Needs exactly one of ${branch.map((b) => `\`${b.err.params.missingProperty}\``).join(' or ')}.`,
      });
      continue;
    }
    const fitting = branch.filter((b) => !(b.err.keyword === 'type' && b.err.instancePath === p));
    if (fitting.length > 0) {
      for (const b of fitting) out.push({ error: b.err });
      continue;
    }
    const types = [
      ...new Set(branch.flatMap((b) => ([] as unknown[]).concat(b.err.params.type))),
    ].map(String);
    const desc = (e.parentSchema?.description as string | undefined)?.replace(/\.$/, '');
    const path = displayPath(pointerToPath(p, data));
    out.push({
      error: e,
      message: `\`${path}\` must be ${typeWords(types)}, not ${typeOfValue(e.data)}${desc ? ` (${desc})` : ''}.`,
    });
  }
  for (let i = 0; i < errors.length; i++) {
    if (consumed.has(i)) continue;
    const e = errors[i];
    // The pattern error inside propertyNames says it all; skip the summary.
    if (e.keyword === 'propertyNames') continue;
    out.push({ error: e });
  }
  return out;
}

function requiredNames(e: SchemaError): string[] {
  const branches = Array.isArray(e.schema) ? (e.schema as { required?: string[] }[]) : [];
  const names = branches.flatMap((b) => b.required ?? []).map((n) => `\`${n}\``);
  return names.length ? names : ['the alternatives'];
}

function typeWords(types: string[]): string {
  const words = types.map(
    (t) =>
      ({
        integer: 'a whole number',
        number: 'a number',
        string: 'a string',
        boolean: 'a boolean (true or false)',
        object: 'a mapping',
        array: 'a list',
        null: 'empty',
      })[t] ?? t,
  );
  return words.length <= 1
    ? words.join('')
    : `${words.slice(0, -1).join(', ')} or ${words[words.length - 1]}`;
}

function typeOfValue(v: unknown): string {
  if (v === null || v === undefined) return 'empty';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return `the string "${v.length > 40 ? v.slice(0, 40) + '…' : v}"`;
  if (typeof v === 'boolean') return String(v);
  return `${Number.isInteger(v) ? 'the whole number' : 'the number'} ${v}`;
}

function toDiagnostic(s: Simplified, data: unknown, parsed: ParsedYaml): Diagnostic {
  const e = s.error;
  const path = pointerToPath(e.instancePath, data);
  const name = displayPath(path);
  let range: OffsetRange | undefined;
  let message = s.message;

  switch (e.keyword) {
    case 'required': {
      const missing = String(e.params.missingProperty);
      message ??=
        path.length === 0
          ? `Missing required property \`${missing}\`: every master copy needs ${describeRoot(missing)}.`
          : `\`${name}\` is missing the required property \`${missing}\`.`;
      range = parentRange(parsed, path);
      break;
    }
    case 'additionalProperties': {
      const extra = String(e.params.additionalProperty);
      const allowed = Object.keys((e.parentSchema?.properties as object) ?? {});
      const suggestion = closest(extra, allowed);
      const where = path.length ? `in \`${name}\`` : 'in a master copy';
      message ??=
        `Unknown property \`${extra}\` ${where}.` +
        (suggestion
          ? ` Did you mean \`${suggestion}\`?`
          : allowed.length
            ? ` Allowed: ${allowed.join(', ')}.`
            : '');
      const loc = parsed.locate([...path, extra]);
      range = loc?.key ?? loc?.value;
      break;
    }
    case 'type': {
      const types = ([] as unknown[]).concat(e.params.type).map(String);
      const hint =
        types.includes('string') && typeof e.data === 'number' ? ` Quote it: "${e.data}".` : '';
      message ??= `\`${name}\` must be ${typeWords(types)}, not ${typeOfValue(e.data)}.${hint}`;
      break;
    }
    case 'const':
      message ??=
        path.join() === 'mastercopy'
          ? '`mastercopy` must be 1: this is version 1 of the master copy format.'
          : `\`${name}\` must be ${JSON.stringify(e.params.allowedValue)}.`;
      break;
    case 'enum':
      message ??=
        `\`${name}\` must be one of: ` +
        `${(e.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}; not ${typeOfValue(e.data)}.`;
      break;
    case 'pattern': {
      const custom = e.parentSchema?.patternErrorMessage as string | undefined;
      if (e.propertyName !== undefined) {
        message ??= `\`${e.propertyName}\` ${custom ?? `does not match ${e.params.pattern}`} (in \`${name}\`).`;
        const loc = parsed.locate([...path, e.propertyName]);
        range = loc?.key ?? loc?.value;
      } else {
        message ??= `\`${name}\` ${custom ?? `must match the pattern ${e.params.pattern}`}.`;
      }
      break;
    }
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum': {
      const bounds = rangeText(path);
      const words: Record<string, string> = {
        '<=': 'at most',
        '>=': 'at least',
        '<': 'less than',
        '>': 'more than',
      };
      message ??=
        `\`${name}\` must be ${words[String(e.params.comparison)] ?? e.params.comparison} ` +
        `${e.params.limit}${bounds}; it is ${String(e.data)}.`;
      break;
    }
    case 'minLength':
      message ??=
        e.params.limit === 1
          ? `\`${name}\` must not be empty.`
          : `\`${name}\` must be at least ${e.params.limit} characters long.`;
      break;
    case 'maxLength':
      message ??= `\`${name}\` must be at most ${e.params.limit} characters long.`;
      break;
    case 'minItems':
      message ??= `\`${name}\` must not be an empty list.`;
      break;
    case 'uniqueItems':
      message ??= `\`${name}\` lists the same item twice (items ${Number(e.params.j) + 1} and ${Number(e.params.i) + 1}).`;
      break;
    default:
      message ??= `\`${name}\` ${e.message ?? 'is not valid'}.`;
  }
  range ??= valueRange(parsed, path);
  return { severity: 'error', code: 'schema', message, range };
}

function rangeText(path: PathSegment[]): string {
  const s = schemaAt(path);
  return s && s.minimum !== undefined && s.maximum !== undefined
    ? ` (${s.minimum}–${s.maximum})`
    : '';
}

function describeRoot(prop: string): string {
  return (
    {
      mastercopy: '`mastercopy: 1` (the format version)',
      name: 'a `name`',
      version: 'a `version`',
    }[prop] ?? `\`${prop}\``
  );
}

/** Where to show a problem with the value at `path`: the value if it is a scalar, else its key. */
export function valueRange(parsed: ParsedYaml, path: readonly PathSegment[]): OffsetRange {
  for (let p = path.slice(); ; p = p.slice(0, -1)) {
    const loc = parsed.locate(p);
    if (loc) return loc.isBlock && loc.key ? loc.key : loc.value;
    if (p.length === 0) return { start: 0, end: 0 };
  }
}

/** Where to show that something is missing inside the value at `path`: its key, or the item itself. */
function parentRange(parsed: ParsedYaml, path: readonly PathSegment[]): OffsetRange {
  if (path.length === 0) return parsed.firstKey() ?? { start: 0, end: 0 };
  const loc = parsed.locate(path);
  if (loc) return loc.key ?? loc.value;
  return valueRange(parsed, path);
}

/** The allowed name closest to a misspelt one (Damerau-free Levenshtein), if close enough. */
export function closest(word: string, candidates: string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = levenshtein(word.toLowerCase(), c.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  return best !== undefined && bestD <= Math.max(1, Math.floor(word.length / 3)) ? best : undefined;
}

/** Edit distance where swapping two neighbouring letters counts as one edit (typos like `prots`). */
function levenshtein(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [
    i,
    ...Array<number>(b.length).fill(0),
  ]);
  for (let j = 0; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}
