// Incremental parsing for keystroke-speed validation.
//
// Parsing is ~90 % of validating a large master copy, and a keystroke changes
// one small place. So the text is cut where YAML's own structure allows it —
// at top-level keys, and inside a `key:` block at the items of its sequence or
// mapping — each piece is parsed on its own, and pieces whose text did not
// change since the last call are reused. Offsets of reused pieces are shifted,
// never re-parsed.
//
// Whenever the text has anything this cutting does not model (directives,
// `---`, flow or quoted keys at the top, odd indentation) or any piece has a
// YAML error or warning, the whole text is parsed in one go instead, so the
// result is always the one `parseWhole` gives (test/unit/segmentedParser.test.ts
// checks that on random edits).
import { isMap, isSeq, type Document, type Node } from 'yaml';
import { setOwn } from '../util/ownProperty';
import type { OffsetRange } from './diagnostic';
import {
  firstKeyIn,
  locateIn,
  nodeRange,
  parseWhole,
  parseYaml,
  tooLarge,
  type Located,
  type ParsedYaml,
  type PathSegment,
} from './yamlSource';

/** A plain key at the start of a line, followed by `:` and a space, a comment or the end. */
const KEY_RE = /^([A-Za-z_][A-Za-z0-9_.-]*)[ \t]*:(?=[ \t]|\r?$)/;
const INLINE_VALUE_RE = /^[A-Za-z_][A-Za-z0-9_.-]*[ \t]*:[ \t]*(?:#.*)?\r?$/;

interface Unit {
  doc: Document;
  value: unknown;
}

interface Span {
  start: number;
  end: number;
}

interface WholeSection {
  kind: 'whole';
  span: Span;
  unit?: Unit;
}

interface SplitSection {
  kind: 'split';
  itemKind: 'seq' | 'map';
  header: Span;
  items: Span[];
  headerUnit?: Unit;
  itemUnits?: Unit[];
  /** A map section's item by key, built on the first look-up. */
  itemByKey?: Map<string, number>;
}

type Section = WholeSection | SplitSection;

export class SegmentedParser {
  private cache = new Map<string, Unit>();
  /** How the last parse went: for tests and benchmarks. */
  lastStats = { units: 0, reused: 0, whole: false };

  /** True until a parse has filled the cache of pieces. */
  get isCold(): boolean {
    return this.cache.size === 0;
  }

  parse(text: string): ParsedYaml {
    if (tooLarge(text)) return this.whole(text);
    const sections = segment(text);
    if (!sections) return this.whole(text);
    const next = new Map<string, Unit>();
    let units = 0;
    let reused = 0;
    const parseUnit = (span: Span, kind: string): Unit | undefined => {
      const src = text.slice(span.start, span.end);
      const cacheKey = kind + src;
      units++;
      let unit = next.get(cacheKey) ?? this.cache.get(cacheKey);
      if (unit) reused++;
      else {
        const doc = parseYaml(src);
        if (doc.errors.length || doc.warnings.length) return undefined;
        unit = { doc, value: safeToJS(doc) };
        if (unit.value === FAILED) return undefined;
      }
      next.set(cacheKey, unit);
      return unit;
    };

    const root: Record<string, unknown> = {};
    const byKey = new Map<string, Section>();
    for (const s of sections) {
      let key: string;
      let value: unknown;
      if (s.kind === 'whole') {
        const unit = parseUnit(s.span, 'w');
        const entries = oneEntryMap(unit);
        if (!unit || !entries) return this.whole(text);
        s.unit = unit;
        [key, value] = entries;
      } else {
        const header = parseUnit(s.header, 'h');
        const entries = oneEntryMap(header);
        if (!header || !entries || entries[1] !== null) return this.whole(text);
        s.headerUnit = header;
        key = entries[0];
        s.itemUnits = [];
        if (s.itemKind === 'seq') {
          const arr: unknown[] = [];
          for (const span of s.items) {
            const u = parseUnit(span, 's');
            if (!u || !isSeq(u.doc.contents) || u.doc.contents.items.length !== 1)
              return this.whole(text);
            s.itemUnits.push(u);
            arr.push((u.value as unknown[])[0]);
          }
          value = arr;
        } else {
          const obj: Record<string, unknown> = {};
          for (const span of s.items) {
            const u = parseUnit(span, 'm');
            const e = oneEntryMap(u);
            // A key twice in one block is a YAML error that the whole parse reports.
            if (!u || !e || Object.prototype.hasOwnProperty.call(obj, e[0]))
              return this.whole(text);
            s.itemUnits.push(u);
            setOwn(obj, e[0], e[1]);
          }
          value = obj;
        }
      }
      if (byKey.has(key)) return this.whole(text);
      byKey.set(key, s);
      setOwn(root, key, value);
    }
    this.cache = next;
    this.lastStats = { units, reused, whole: false };
    return new SegmentedDocument(text, root, sections, byKey);
  }

  private whole(text: string): ParsedYaml {
    // Keep the cache: the next keystroke often repairs the error and the
    // unchanged pieces can be reused again.
    this.lastStats = { units: 1, reused: 0, whole: true };
    return parseWhole(text);
  }
}

const FAILED = Symbol('toJS failed');

function safeToJS(doc: Document): unknown {
  try {
    return doc.toJS({ maxAliasCount: 100 });
  } catch {
    return FAILED;
  }
}

function oneEntryMap(unit: Unit | undefined): [string, unknown] | undefined {
  if (!unit || !isMap(unit.doc.contents) || unit.doc.contents.items.length !== 1) return undefined;
  const v = unit.value;
  if (!v || typeof v !== 'object' || Array.isArray(v)) return undefined;
  const entries = Object.entries(v);
  return entries.length === 1 ? entries[0] : undefined;
}

class SegmentedDocument implements ParsedYaml {
  readonly syntax = [];

  constructor(
    private readonly text: string,
    readonly value: Record<string, unknown>,
    private readonly sections: Section[],
    private readonly byKey: Map<string, Section>,
  ) {}

  firstKey(): OffsetRange | undefined {
    const s = this.sections[0];
    return s.kind === 'whole'
      ? firstKeyIn(s.unit!.doc.contents as Node, this.text, s.span.start)
      : firstKeyIn(s.headerUnit!.doc.contents as Node, this.text, s.header.start);
  }

  locate(path: readonly PathSegment[]): Located | undefined {
    if (path.length === 0) {
      const first = this.firstKey();
      return first && { value: first, isCollection: true };
    }
    const s = this.byKey.get(String(path[0]));
    if (!s) return undefined;
    if (s.kind === 'whole')
      return locateIn(s.unit!.doc.contents as Node, path, this.text, s.span.start);
    if (path.length === 1) {
      const head = locateIn(s.headerUnit!.doc.contents as Node, path, this.text, s.header.start);
      const first = s.itemUnits![0];
      const value = first
        ? nodeRange(first.doc.contents as Node, this.text, s.items[0].start)
        : undefined;
      return head && value ? { key: head.key, value, isCollection: true, isBlock: true } : head;
    }
    if (s.itemKind === 'seq') {
      const i = path[1];
      if (typeof i !== 'number' || !s.itemUnits![i]) return undefined;
      return locateIn(
        s.itemUnits![i].doc.contents as Node,
        [0, ...path.slice(2)],
        this.text,
        s.items[i].start,
      );
    }
    if (!s.itemByKey) {
      s.itemByKey = new Map();
      for (const [i, u] of s.itemUnits!.entries()) {
        const key = Object.keys(u.value as object)[0];
        if (!s.itemByKey.has(key)) s.itemByKey.set(key, i);
      }
    }
    const idx = s.itemByKey.get(String(path[1]));
    if (idx === undefined) return undefined;
    return locateIn(
      s.itemUnits![idx].doc.contents as Node,
      path.slice(1),
      this.text,
      s.items[idx].start,
    );
  }
}

function indentOf(line: string): number {
  let i = 0;
  while (i < line.length && line.charCodeAt(i) === 32) i++;
  return i;
}

function isBlankOrComment(line: string, indent: number): boolean {
  return indent === line.length || line[indent] === '#' || line[indent] === '\r';
}

function isSeqItem(line: string, indent: number): boolean {
  const c = line[indent + 1];
  return line[indent] === '-' && (c === undefined || c === ' ' || c === '\r');
}

/** Cuts the text into top-level sections, or returns undefined when it can't safely. */
function segment(text: string): Section[] | undefined {
  const lines: { start: number; text: string }[] = [];
  let pos = 0;
  while (pos <= text.length) {
    const nl = text.indexOf('\n', pos);
    const end = nl === -1 ? text.length : nl;
    lines.push({ start: pos, text: text.slice(pos, end) });
    if (nl === -1) break;
    pos = nl + 1;
  }

  // Top level: a section starts at each line with a plain key in column 0.
  const heads: number[] = [];
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i].text;
    const ind = indentOf(l);
    if (ind > 0 || isBlankOrComment(l, ind)) continue;
    if (isSeqItem(l, 0)) {
      if (heads.length === 0) return undefined;
      continue;
    }
    if (!KEY_RE.test(l)) return undefined;
    heads.push(i);
  }
  if (heads.length === 0) return undefined;

  const sections: Section[] = [];
  for (let h = 0; h < heads.length; h++) {
    const first = h === 0 ? 0 : heads[h];
    const headLine = heads[h];
    const endLine = h + 1 < heads.length ? heads[h + 1] : lines.length;
    const start = lines[first].start;
    const end = endLine < lines.length ? lines[endLine].start : text.length;
    sections.push(
      splitSection(lines, headLine, endLine, start, end) ?? { kind: 'whole', span: { start, end } },
    );
  }
  return sections;
}

/** Splits a `key:` block into its items, when its shape is a plain block sequence or mapping. */
function splitSection(
  lines: { start: number; text: string }[],
  headLine: number,
  endLine: number,
  start: number,
  end: number,
): SplitSection | undefined {
  if (!INLINE_VALUE_RE.test(lines[headLine].text)) return undefined;
  let k = -1;
  let itemKind: 'seq' | 'map' | undefined;
  const itemLines: number[] = [];
  for (let i = headLine + 1; i < endLine; i++) {
    const l = lines[i].text;
    const ind = indentOf(l);
    if (isBlankOrComment(l, ind)) continue;
    if (k === -1) {
      k = ind;
      itemKind = isSeqItem(l, ind)
        ? 'seq'
        : KEY_RE.test(l.slice(ind)) && ind > 0
          ? 'map'
          : undefined;
      if (!itemKind) return undefined;
    }
    if (ind < k) return undefined;
    if (ind === k) {
      const ok = itemKind === 'seq' ? isSeqItem(l, ind) : KEY_RE.test(l.slice(ind));
      if (!ok) return undefined;
      itemLines.push(i);
    }
  }
  if (!itemKind || itemLines.length === 0) return undefined;
  const items = itemLines.map((li, j) => ({
    start: lines[li].start,
    end: j + 1 < itemLines.length ? lines[itemLines[j + 1]].start : end,
  }));
  // Blank or comment lines between the header and the first item belong to the header.
  return { kind: 'split', itemKind, header: { start, end: items[0].start }, items };
}
