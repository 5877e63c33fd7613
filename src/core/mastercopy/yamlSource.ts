// Parsing a master copy's YAML while keeping where every key and value came from.
//
// Two parsers give the same answer: `parseWhole` parses the text in one go;
// `SegmentedParser` (segmentedParser.ts) parses top-level sections and their
// items separately and reuses the ones that did not change between keystrokes.
// Both produce a `ParsedYaml`; diagnostics only ever see that interface.
import {
  Composer,
  Document,
  isMap,
  isScalar,
  isSeq,
  Lexer,
  Parser,
  visit,
  YAMLParseError,
  type CST,
  type ErrorCode,
  type Node,
  type Pair,
  type YAMLMap,
} from 'yaml';
import { mebibytes } from '../util/hostFile';
import type { Diagnostic, OffsetRange } from './diagnostic';

export type PathSegment = string | number;

export interface Located {
  /** The key, when the node is a mapping value. */
  key?: OffsetRange;
  /** Where a problem with this value is shown: the scalar, or the first line of a collection. */
  value: OffsetRange;
  isCollection: boolean;
  /** A block (indented, multi-line) collection: problems with it are better shown on its key. */
  isBlock?: boolean;
}

export interface ParsedYaml {
  /** The document as plain data; `undefined` for an empty document. */
  readonly value: unknown;
  /** YAML syntax errors and warnings. */
  readonly syntax: Diagnostic[];
  /** The node at `path`, or `undefined` when the path is not in the document. */
  locate(path: readonly PathSegment[]): Located | undefined;
  /** The range of the first top-level key (where document-wide problems are shown). */
  firstKey(): OffsetRange | undefined;
}

/** The largest master copy that is read and parsed: far above any real one, far below what would stall an editor. */
export const MAX_MASTER_COPY_BYTES = 4 * 1024 * 1024;

// yaml's own duplicate-key check scans the whole mapping for every key (quadratic: 40,000
// labels took 12 s); parseYaml finds duplicates with a set instead.
export const PARSE_OPTIONS = {
  prettyErrors: false,
  uniqueKeys: false,
  keepSourceTokens: false,
} as const;

/**
 * How deep collections may nest. yaml composes (and converts, and visits) recursively: a few
 * thousand `[` overflowed the stack, which yaml reports as an error of its own, so the
 * diagnostics changed with the caller's stack depth (incremental and whole validation
 * disagreed) and took seconds (test/unit/hostile/ found this). A master copy nests a few levels.
 */
export const MAX_NESTING = 100;
const TOO_DEEP = 'NESTING_TOO_DEEP' as ErrorCode;

/**
 * parseDocument, with duplicate keys reported as yaml reports them (DUPLICATE_KEY at the
 * later key), in linear time, and a document nested deeper than MAX_NESTING refused before
 * anything recursive runs (yaml's lexer and parser keep their own stack; the composer does not).
 */
export function parseYaml(src: string): Document {
  const parser = new Parser();
  const tokens: CST.Token[] = [];
  for (const lexeme of new Lexer().lex(src)) {
    for (const token of parser.next(lexeme)) tokens.push(token);
    // The parser's stack holds the document and every open collection and node in it.
    if (parser.stack.length > MAX_NESTING && collectionDepth(parser.stack) > MAX_NESTING) {
      const tooDeep = new Document(undefined, PARSE_OPTIONS);
      const at = Math.min(parser.offset, src.length);
      tooDeep.errors.push(new YAMLParseError([at, at + 1], TOO_DEEP, 'nested too deeply'));
      return tooDeep;
    }
  }
  for (const token of parser.end()) tokens.push(token);
  // As parseDocument: the first document, and an error for a second one.
  let doc: Document | undefined;
  for (const d of new Composer(PARSE_OPTIONS).compose(tokens, true, src.length)) {
    if (!doc) doc = d;
    else {
      doc.errors.push(
        new YAMLParseError(
          d.range.slice(0, 2) as [number, number],
          'MULTIPLE_DOCS',
          'Source contains multiple documents; please use YAML.parseAllDocuments()',
        ),
      );
      break;
    }
  }
  doc = doc!;
  visit(doc, {
    Map(_, map) {
      const seen = new Set<string>();
      for (const pair of map.items) {
        const id = keyIdentity(pair.key);
        if (id === undefined) continue;
        if (!seen.has(id)) seen.add(id);
        else {
          const start = (pair.key as Node).range![0];
          doc.errors.push(
            new YAMLParseError([start, start + 1], 'DUPLICATE_KEY', 'Map keys must be unique'),
          );
        }
      }
    },
  });
  return doc;
}

const COLLECTIONS = new Set(['block-map', 'block-seq', 'flow-collection']);

function collectionDepth(stack: readonly CST.Token[]): number {
  let n = 0;
  for (const t of stack) if (COLLECTIONS.has(t.type)) n++;
  return n;
}

/** When two keys are the same for yaml (scalars with === values); undefined for keys that never are. */
function keyIdentity(key: unknown): string | undefined {
  if (!isScalar(key) || !key.range) return undefined;
  const v = key.value;
  if (v === null) return 'null';
  if (typeof v === 'object' || (typeof v === 'number' && Number.isNaN(v))) return undefined;
  return `${typeof v}:${String(v)}`;
}

export function yamlDiagnostics(doc: Document, text: string): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const [list, severity] of [
    [doc.errors, 'error'],
    [doc.warnings, 'warning'],
  ] as const) {
    for (const e of list)
      out.push({
        severity,
        code: 'yaml-syntax',
        message: yamlMessage(e.code, e.message),
        range: tokenRange(text, e.pos[0], e.pos[1]),
      });
  }
  return out;
}

/** yaml often points at one character; widen that to the word it starts (a key, a value). */
function tokenRange(text: string, start: number, end: number): OffsetRange {
  // yaml puts a problem at the end of the text (an unclosed quote or bracket) one character
  // past it: every range must lie inside the document (test/unit/hostile/ found this).
  start = Math.min(Math.max(start, 0), text.length);
  end = Math.min(Math.max(end, start), text.length);
  if (end - start > 1) {
    // Never a block of lines: the first line of it says where.
    const nl = text.indexOf('\n', start);
    return { start, end: nl !== -1 && nl < end ? Math.max(nl, start + 1) : end };
  }
  const word = /^[^\s:,[\]{}#]+/.exec(text.slice(start, start + 200));
  return { start, end: Math.min(text.length, start + Math.max(word ? word[0].length : 0, 1)) };
}

function yamlMessage(code: string, message: string): string {
  const first = message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
  switch (code) {
    case 'DUPLICATE_KEY':
      return 'Duplicate key: each key may appear only once in a mapping. Remove or rename one of them.';
    case 'TAB_AS_INDENT':
      return 'Tabs are not allowed for indentation in YAML; indent with spaces.';
    case 'MULTIPLE_DOCS':
      return 'A master copy file holds exactly one YAML document; remove the extra `---` document.';
    case TOO_DEEP:
      return (
        `This master copy nests collections more than ${MAX_NESTING} levels deep here, ` +
        'so it is not checked; a master copy needs a few.'
      );
    default:
      return `YAML syntax error: ${first}`;
  }
}

/** The canonical range of a node for diagnostics, shifted by `base`. */
export function nodeRange(
  node: Node | null | undefined,
  text: string,
  base: number,
): OffsetRange | undefined {
  const r = node?.range;
  if (!r) return undefined;
  const start = base + r[0];
  let end = base + r[1];
  if (isMap(node) || isSeq(node)) {
    // A collection is shown on its first line only: never a whole block of lines.
    const nl = text.indexOf('\n', start);
    if (nl !== -1 && nl < end) end = nl;
    while (end > start && /\s/.test(text[end - 1])) end--;
  }
  return { start, end: Math.max(end, start) };
}

/** Walks `path` down from `root`; ranges are shifted by `base` into `text`. */
export function locateIn(
  root: Node | null | undefined,
  path: readonly PathSegment[],
  text: string,
  base: number,
): Located | undefined {
  let node: Node | null | undefined = root;
  let keyNode: Node | undefined;
  for (const seg of path) {
    keyNode = undefined;
    if (isMap(node)) {
      const pair = findPair(node as YAMLMap<unknown, unknown>, seg);
      if (!pair) return undefined;
      keyNode = pair.key as Node;
      node = pair.value as Node | null;
      if (!node) {
        // `key:` with nothing after it: the key is all there is to show.
        const key = nodeRange(keyNode, text, base)!;
        return { key, value: key, isCollection: false };
      }
    } else if (isSeq(node) && typeof seg === 'number') {
      node = node.items[seg] as Node | null;
      if (!node) return undefined;
    } else {
      return undefined;
    }
  }
  const key = keyNode ? nodeRange(keyNode, text, base) : undefined;
  // `key:` with nothing after it parses as an empty null scalar: show the key.
  if (key && isScalar(node) && node.value === null && node.range && node.range[0] === node.range[1])
    return { key, value: key, isCollection: false };
  const value = nodeRange(node, text, base);
  if (!value) return undefined;
  const isCollection = isMap(node) || isSeq(node);
  return { key, value, isCollection, isBlock: isCollection && !(node as { flow?: boolean }).flow };
}

/** Each mapping's pairs by key, built on the first look-up: locating stays linear in the path, not in the mapping. */
const pairIndex = new WeakMap<YAMLMap<unknown, unknown>, Map<string, Pair<unknown, unknown>>>();

function findPair(
  map: YAMLMap<unknown, unknown>,
  seg: PathSegment,
): Pair<unknown, unknown> | undefined {
  let index = pairIndex.get(map);
  if (!index) {
    index = new Map();
    for (const p of map.items) {
      const k = keyText(p.key);
      if (!index.has(k)) index.set(k, p);
    }
    pairIndex.set(map, index);
  }
  return index.get(String(seg));
}

function keyText(k: unknown): string {
  return isScalar(k) ? String(k.value) : String(k);
}

export function firstKeyIn(
  root: Node | null | undefined,
  text: string,
  base: number,
): OffsetRange | undefined {
  if (!isMap(root) || root.items.length === 0) return nodeRange(root, text, base);
  return nodeRange(root.items[0].key as Node, text, base);
}

/** The diagnostic for a text above MAX_MASTER_COPY_BYTES, or undefined. */
export function tooLarge(text: string): Diagnostic | undefined {
  // A UTF-16 unit is at most 3 UTF-8 bytes: count the bytes only when it could matter.
  if (text.length <= MAX_MASTER_COPY_BYTES / 3) return undefined;
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes <= MAX_MASTER_COPY_BYTES) return undefined;
  return {
    severity: 'error',
    code: 'too-large',
    message:
      `This master copy is ${mebibytes(bytes)}; a master copy may be at most ${mebibytes(MAX_MASTER_COPY_BYTES)}, ` +
      `so it is not checked. Move large contents into \`source\` files beside it.`,
    range: { start: 0, end: Math.min(text.length, Math.max(text.indexOf('\n'), 0)) },
  };
}

/** One parse of the whole text. */
export function parseWhole(text: string): ParsedYaml {
  const large = tooLarge(text);
  if (large)
    return {
      value: undefined,
      syntax: [large],
      locate: () => undefined,
      firstKey: () => undefined,
    };
  const doc = parseYaml(text);
  const syntax = yamlDiagnostics(doc, text);
  let value: unknown;
  if (doc.contents !== null && syntax.every((d) => d.severity !== 'error')) {
    try {
      value = doc.toJS({ maxAliasCount: 100 });
    } catch (e) {
      // Aliases that cannot be resolved, or too many of them (a "billion laughs" file).
      syntax.push({
        severity: 'error',
        code: 'yaml-syntax',
        message: `YAML error: ${(e as Error).message}`,
        range: firstKeyIn(doc.contents as Node, text, 0) ?? { start: 0, end: 0 },
      });
    }
  }
  return {
    value,
    syntax,
    locate(path) {
      if (path.length > 0) return locateIn(doc.contents as Node, path, text, 0);
      const first = firstKeyIn(doc.contents as Node, text, 0);
      return first && { value: first, isCollection: isMap(doc.contents) || isSeq(doc.contents) };
    },
    firstKey: () => firstKeyIn(doc.contents as Node, text, 0),
  };
}
