// Where in a master copy an offset is, read from the lines around it.
//
// Completion runs while the user types, so the text is often not valid YAML,
// and hover must be fast on big files: neither parses the whole document.
// Instead a line is read as its block structure — `- ` item markers, then a
// `key:` or a scalar — and the path of a place is found by walking up to the
// lines with smaller indentation, the way a reader of YAML does.
import type { OffsetRange } from './diagnostic';
import { LineIndex } from './positions';
import type { PathSegment } from './yamlSource';

export interface Anchor {
  /** `item`: a `- ` marker; `key`: a `key:`; `scalar`: any other content. */
  kind: 'item' | 'key' | 'scalar';
  /** Column where it starts (the dash of an item). */
  col: number;
  key?: string;
  /** A key with something after `key:` on its line (not a comment); scalars always. */
  hasValue?: boolean;
}

/** A node introduced by an anchor: its path, and whether it sits inside the inline value of an ancestor. */
export interface AnchorNode {
  path: PathSegment[];
  /**
   * Set when the anchor is really part of the value of an earlier key or
   * item (a block scalar's content, a flow collection or plain scalar going
   * on over several lines): the outermost such line and anchor.
   */
  inValueOf?: { line: number; anchor: number };
}

interface Parent {
  /** The line and anchor that hold the node; undefined for the document root. */
  line?: number;
  anchor?: number;
  /** For an item: how many items of the same sequence come before it. */
  index: number;
  /** For a key: the keys of the same mapping above it. */
  siblings: string[];
}

const KEY_RE = /^("(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|[^\s#'"{}[\],&*!|>%@`][^#]*?)[ \t]*:(?=[ \t]|$)/;

/** The anchors of one line; `null` for a blank line, a comment or a document marker. */
export function lineAnchors(s: string): Anchor[] | null {
  let i = 0;
  while (s[i] === ' ') i++;
  if (i >= s.length || s[i] === '#') return null;
  if (i === 0 && /^(?:---|\.\.\.)(?:\s|$)/.test(s)) return null;
  const out: Anchor[] = [];
  while (s[i] === '-' && (i + 1 === s.length || s[i + 1] === ' ')) {
    out.push({ kind: 'item', col: i });
    i++;
    while (s[i] === ' ') i++;
  }
  if (i >= s.length || s[i] === '#') return out;
  const m = KEY_RE.exec(s.slice(i));
  if (m) {
    let v = i + m[0].length;
    while (s[v] === ' ' || s[v] === '\t') v++;
    out.push({
      kind: 'key',
      col: i,
      key: unquoteKey(m[1]),
      hasValue: v < s.length && s[v] !== '#',
    });
  } else {
    out.push({ kind: 'scalar', col: i, hasValue: true });
  }
  return out;
}

export function unquoteKey(k: string): string {
  if (k.startsWith('"') && k.endsWith('"') && k.length >= 2) {
    try {
      return JSON.parse(k) as string;
    } catch {
      return k.slice(1, -1);
    }
  }
  if (k.startsWith("'") && k.endsWith("'") && k.length >= 2)
    return k.slice(1, -1).replace(/''/g, "'");
  return k;
}

/** The lines of a text, read lazily as block structure. One per request: nothing is kept between calls. */
export class YamlLines {
  readonly index: LineIndex;
  /** Anchors per line, read when first needed (`undefined`: not read yet). */
  private readonly anchorCache: (Anchor[] | null | undefined)[] = [];
  private readonly parentCache = new Map<string, Parent>();

  constructor(readonly text: string) {
    this.index = new LineIndex(text);
  }

  lineText(line: number): string {
    return this.index.lineText(line);
  }

  anchors(line: number): Anchor[] | null {
    let a = this.anchorCache[line];
    if (a === undefined) {
      a = lineAnchors(this.lineText(line));
      this.anchorCache[line] = a;
    }
    return a;
  }

  /** Replaces what a line is read as (the cursor line, read only up to the cursor). */
  setAnchors(line: number, anchors: Anchor[] | null): void {
    this.anchorCache[line] = anchors;
    this.parentCache.clear();
  }

  /** Indentation of a line with content; undefined for blank and comment lines. */
  indent(line: number): number | undefined {
    const a = this.anchors(line);
    return a && a.length ? a[0].col : undefined;
  }

  /**
   * Walks up from `line` to the line that holds a node starting at column
   * `col` (an item when `isItem`), counting earlier items of the same
   * sequence or collecting earlier keys of the same mapping on the way.
   */
  parentOf(line: number, col: number, isItem: boolean): Parent {
    const key = `${line}:${col}:${isItem}`;
    let p = this.parentCache.get(key);
    if (!p) this.parentCache.set(key, (p = this.walkUp(line, col, isItem)));
    return p;
  }

  private walkUp(line: number, col: number, isItem: boolean): Parent {
    let index = 0;
    const siblings: string[] = [];
    for (let l = line - 1; l >= 0; l--) {
      const ind = this.quickIndent(l, col);
      if (ind === undefined || ind > col) continue;
      const as = this.anchors(l);
      if (!as || as.length === 0) continue;
      const first = as[0];
      if (first.col === col) {
        if (isItem) {
          if (first.kind === 'item') {
            index++;
            continue;
          }
          // `key:` with its sequence at the same indentation: `files:\n- path: …`
          if (first.kind === 'key') return { line: l, anchor: 0, index, siblings };
          continue;
        }
        if (first.kind === 'key') siblings.push(first.key!);
        continue;
      }
      // This line holds the parent; anchors at our column on it are siblings.
      let j = as.length - 1;
      for (; j >= 0 && as[j].col >= col; j--) {
        if (as[j].col !== col) continue;
        if (isItem && as[j].kind === 'item') index++;
        else if (!isItem && as[j].kind === 'key') siblings.push(as[j].key!);
      }
      return { line: l, anchor: j, index, siblings };
    }
    return { index, siblings };
  }

  /** Keys of the mapping at column `col` on lines below `line` (until that mapping ends). */
  siblingsBelow(line: number, col: number): string[] {
    const out: string[] = [];
    for (let l = line + 1; l < this.index.lineCount; l++) {
      const ind = this.quickIndent(l, col);
      if (ind === undefined || ind > col) continue;
      if (ind < col) break;
      const first = this.anchors(l)![0];
      if (first.kind === 'key') out.push(first.key!);
    }
    return out;
  }

  /** Path of the collection that holds anchor `i` of `line`. */
  containerOf(line: number, i: number): AnchorNode {
    if (i > 0) return this.nodeOf(line, i - 1);
    return this.containerAndIndex(line).node;
  }

  /** Path of the node an anchor introduces: a key's value, an item, a scalar. */
  nodeOf(line: number, i: number): AnchorNode {
    const a = this.anchors(line)![i];
    if (i > 0) {
      const c = this.nodeOf(line, i - 1);
      if (a.kind === 'scalar') return c;
      return { path: [...c.path, a.kind === 'key' ? a.key! : 0], inValueOf: c.inValueOf };
    }
    const { node, index } = this.containerAndIndex(line);
    if (a.kind === 'scalar') return node;
    return { path: [...node.path, a.kind === 'key' ? a.key! : index], inValueOf: node.inValueOf };
  }

  private containerAndIndex(line: number): { node: AnchorNode; index: number } {
    const a = this.anchors(line)![0];
    const p = this.parentOf(line, a.col, a.kind === 'item');
    if (p.line === undefined) return { node: { path: [] }, index: p.index };
    const parent = this.nodeOf(p.line, p.anchor!);
    const pa = this.anchors(p.line)![p.anchor!];
    const inValueOf =
      parent.inValueOf ?? (pa.hasValue ? { line: p.line, anchor: p.anchor! } : undefined);
    return { node: { path: parent.path, inValueOf }, index: p.index };
  }

  /**
   * Indentation, reading the line only when it is at most `max` (most lines
   * walked past are deeper, and skipped after counting their spaces).
   */
  private quickIndent(line: number, max: number): number | undefined {
    const cached = this.anchorCache[line];
    if (cached !== undefined) return cached && cached.length ? cached[0].col : undefined;
    const t = this.text;
    const start = this.index.lineStart(line);
    let i = start;
    while (t.charCodeAt(i) === 32) i++;
    const c = t.charCodeAt(i);
    // End of text, \n, \r, #: nothing here.
    if (Number.isNaN(c) || c === 10 || c === 13 || c === 35) return undefined;
    if (i - start > max) return i - start;
    return this.indent(line);
  }
}

/** What is being typed inside a flow collection (`{ … }`, `[ … ]`) on one line. */
export type FlowContext =
  | { kind: 'key'; path: PathSegment[]; siblings: string[]; start: number }
  | { kind: 'value'; path: PathSegment[]; start: number }
  | undefined;

interface FlowFrame {
  kind: 'map' | 'seq';
  path: PathSegment[];
  index: number;
  key?: string;
  inValue: boolean;
  keys: string[];
  tokenStart: number;
}

/**
 * Reads `s` (the text from where a value starts up to the cursor) as flow
 * YAML and says whether the cursor is at a key or a value, with the path.
 * `start` is where the partial key or value begins, in `s`.
 */
export function scanFlow(s: string, base: PathSegment[]): FlowContext {
  const frames: FlowFrame[] = [];
  let tokenStart = 0;
  const valuePath = (): PathSegment[] | undefined => {
    const top = frames[frames.length - 1];
    if (!top) return base;
    if (top.kind === 'seq') return [...top.path, top.index];
    return top.inValue && top.key !== undefined ? [...top.path, top.key] : undefined;
  };
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    const top = frames[frames.length - 1];
    if (c === '"' || c === "'") {
      const close = c === '"' ? /(?:[^"\\]|\\.)*"/y : /(?:[^']|'')*'/y;
      close.lastIndex = i + 1;
      if (!close.exec(s)) break; // the cursor is inside a quoted string
      i = close.lastIndex - 1;
    } else if (c === '{' || c === '[') {
      const path = valuePath();
      if (!path) return undefined;
      frames.push({
        kind: c === '{' ? 'map' : 'seq',
        path,
        index: 0,
        inValue: false,
        keys: [],
        tokenStart: i + 1,
      });
      tokenStart = i + 1;
    } else if (c === '}' || c === ']') {
      frames.pop();
      tokenStart = i + 1;
    } else if (c === ',' && top) {
      if (top.kind === 'seq') top.index++;
      else {
        top.key = undefined;
        top.inValue = false;
      }
      tokenStart = i + 1;
    } else if (
      c === ':' &&
      top?.kind === 'map' &&
      !top.inValue &&
      (i + 1 === s.length || /[\s,\]}]/.test(s[i + 1]))
    ) {
      top.key = unquoteKey(s.slice(tokenStart, i).trim());
      top.keys.push(top.key);
      top.inValue = true;
      tokenStart = i + 1;
    } else if (c === '#' && (i === 0 || /\s/.test(s[i - 1]))) {
      return undefined; // a comment
    }
  }
  let start = tokenStart;
  while (s[start] === ' ' || s[start] === '\t') start++;
  const top = frames[frames.length - 1];
  if (!top) return undefined;
  if (top.kind === 'map' && !top.inValue)
    return { kind: 'key', path: top.path, siblings: top.keys, start };
  const path = valuePath();
  return path && { kind: 'value', path, start };
}

/** Where a completion happens. */
export type CursorContext =
  | {
      kind: 'key';
      /** Path of the mapping the key goes into. */
      path: PathSegment[];
      /** Keys already in that mapping. */
      siblings: Set<string>;
      /** The partly typed key. */
      range: OffsetRange;
      flow: boolean;
      /** The line already has `:` after the key: insert the key alone. */
      hasColon: boolean;
      /** Column of the key minus the line's indentation (after `- ` markers). */
      extraIndent: number;
      /** After `- `: the item may also be a plain value (what is typed may be its start). */
      itemValue: boolean;
    }
  | {
      kind: 'value';
      path: PathSegment[];
      range: OffsetRange;
      flow: boolean;
      /** The cursor is right after `:`: a value needs a space before it. */
      needsSpace: boolean;
    };

const KEY_PREFIX_RE =
  /^("(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|[^\s#'"{}[\],&*!|>%@`][^#]*?)[ \t]*:(?:[ \t]+|$)/;
const PARTIAL_KEY_RE = /^[^\s:#{}[\],'"&*!|>%@`]*$/;

/** The completion context at `offset`, or undefined where nothing can be completed (a comment, a block scalar). */
export function cursorContext(lines: YamlLines, offset: number): CursorContext | undefined {
  const pos = lines.index.positionAt(offset);
  const lineText = lines.lineText(pos.line);
  const lineStart = lines.index.lineStart(pos.line);
  const before = lineText.slice(0, pos.character);
  const after = lineText.slice(pos.character);

  let i = 0;
  while (before[i] === ' ') i++;
  const lineIndent = i;
  const anchors: Anchor[] = [];
  while (before[i] === '-' && before[i + 1] === ' ') {
    anchors.push({ kind: 'item', col: i });
    i++;
    while (before[i] === ' ') i++;
  }
  const rest = before.slice(i);
  if (rest.startsWith('#') || /\s#/.test(rest)) return undefined;

  const keyMatch = KEY_PREFIX_RE.exec(rest);
  if (keyMatch) {
    // `key: |`: a value.
    const key = unquoteKey(keyMatch[1]);
    lines.setAnchors(pos.line, [...anchors, { kind: 'key', col: i, key, hasValue: false }]);
    const node = lines.nodeOf(pos.line, anchors.length);
    if (node.inValueOf) return undefined;
    const valueStart = i + keyMatch[0].length;
    return valueContext(
      before.slice(valueStart),
      after,
      node.path,
      lineStart + valueStart,
      offset,
      !/\s$/.test(keyMatch[0]),
    );
  }
  if (rest.startsWith('{') || rest.startsWith('[')) {
    // `- { port: |`: flow right after an item marker (or at the top).
    lines.setAnchors(pos.line, [...anchors, { kind: 'scalar', col: i, hasValue: true }]);
    const node = anchors.length
      ? lines.nodeOf(pos.line, anchors.length - 1)
      : lines.containerOf(pos.line, 0);
    if (node.inValueOf) return undefined;
    return valueContext(rest, after, node.path, lineStart + i, offset, false);
  }
  if (!PARTIAL_KEY_RE.test(rest)) return undefined;
  const wordEnd = /^[^\s:#{}[\],]*/.exec(after)![0].length;
  const tail = after.slice(wordEnd).trim();
  const hasColon = tail.startsWith(':');
  if (tail && !hasColon && !tail.startsWith('#')) return undefined;

  lines.setAnchors(pos.line, [...anchors, { kind: 'key', col: i, key: rest, hasValue: false }]);
  const container = lines.containerOf(pos.line, anchors.length);
  if (container.inValueOf) return undefined;
  const siblings = new Set<string>();
  if (anchors.length === 0) {
    for (const k of lines.parentOf(pos.line, i, false).siblings) siblings.add(k);
  }
  for (const k of lines.siblingsBelow(pos.line, i)) siblings.add(k);
  return {
    kind: 'key',
    path: container.path,
    siblings,
    range: { start: lineStart + i, end: offset + wordEnd },
    flow: false,
    hasColon,
    extraIndent: i - lineIndent,
    itemValue: anchors.length > 0,
  };
}

function valueContext(
  value: string,
  after: string,
  path: PathSegment[],
  valueStart: number,
  offset: number,
  needsSpace: boolean,
): CursorContext | undefined {
  if (value.startsWith('{') || value.startsWith('[')) {
    const flow = scanFlow(value, path);
    if (!flow) return undefined;
    const end = offset + /^[^\s,\]}:#]*/.exec(after)![0].length;
    const range = { start: valueStart + flow.start, end };
    if (flow.kind === 'key')
      return {
        kind: 'key',
        path: flow.path,
        siblings: new Set(flow.siblings),
        range,
        flow: true,
        hasColon: /^\s*:/.test(after.slice(end - offset)),
        extraIndent: 0,
        itemValue: false,
      };
    return { kind: 'value', path: flow.path, range, flow: true, needsSpace: false };
  }
  // Block scalars, anchors, aliases and tags: nothing to offer.
  if (/^[|>&*!]/.test(value)) return undefined;
  const comment = /\s#/.exec(after);
  let endCol = comment ? comment.index : after.length;
  while (endCol > 0 && /\s/.test(after[endCol - 1])) endCol--;
  return {
    kind: 'value',
    path,
    range: { start: valueStart, end: offset + endCol },
    flow: false,
    needsSpace,
  };
}
