// Hover in a master copy: what the schema says about the key or value under the cursor.
//
// Parsing a whole large document takes tens of milliseconds, so only the one
// entry under the cursor is parsed (a `key: value` with its continuation
// lines, or an item's value); its path comes from the lines above it
// (yamlContext.ts).
import { isMap, isScalar, isSeq, parseDocument, type Node } from 'yaml';
import type { OffsetRange } from './diagnostic';
import { schemaAt } from './schema';
import { schemaMarkdown } from './schemaDocs';
import { YamlLines } from './yamlContext';
import type { PathSegment } from './yamlSource';

export interface Hover {
  markdown: string;
  /** The key or value the hover is about. */
  range: OffsetRange;
}

export function hoverAt(text: string, offset: number): Hover | undefined {
  const lines = new YamlLines(text);
  const pos = lines.index.positionAt(offset);
  let line = pos.line;
  let anchor: number;
  const as = lines.anchors(line);
  if (as && as.length) {
    let j = as.length - 1;
    while (j >= 0 && as[j].col > pos.character) j--;
    // In the indentation, or on a `- ` marker.
    if (j < 0 || as[j].kind === 'item') return undefined;
    anchor = j;
  } else {
    // A blank or comment line is something only inside a value above it (a block scalar's content).
    const t = lines.lineText(line);
    if (!t.trim()) return undefined;
    const p = lines.parentOf(line, t.length - t.trimStart().length, false);
    if (p.line === undefined || !lines.anchors(p.line)![p.anchor!].hasValue) return undefined;
    line = p.line;
    anchor = p.anchor!;
  }
  const inValueOf = lines.nodeOf(line, anchor).inValueOf;
  if (inValueOf) ({ line, anchor } = inValueOf);

  const anchors = lines.anchors(line)!;
  const a = anchors[anchor];
  const base =
    a.kind === 'key' ? lines.containerOf(line, anchor).path : lines.nodeOf(line, anchor).path;
  const entryStart = lines.index.lineStart(line) + a.col;
  const entryEnd =
    a.kind === 'key' && !a.hasValue
      ? lineEnd(lines, line)
      : valueEnd(
          lines,
          line,
          a.kind === 'key' ? a.col : anchor > 0 ? anchors[anchor - 1].col : a.col - 1,
        );
  if (offset < entryStart || offset >= entryEnd) return undefined;

  const doc = parseDocument(text.slice(entryStart, entryEnd), {
    keepSourceTokens: false,
    uniqueKeys: false,
  }); // duplicates are validation's business (and yaml's check is quadratic)
  const found = nodeAt(doc.contents as Node | null, offset - entryStart, base);
  if (!found) return undefined;
  let schema = schemaAt(found.path);
  if (!schema) return undefined;
  // An item without a description of its own (a capability in `drop`): the list's says what it is.
  if (!schema.description && typeof found.path[found.path.length - 1] === 'number') {
    const list = schemaAt(found.path.slice(0, -1));
    if (list?.description) schema = { ...schema, description: list.description };
  }
  return {
    markdown: schemaMarkdown(schema, found.path),
    range: { start: entryStart + found.range[0], end: entryStart + found.range[1] },
  };
}

function lineEnd(lines: YamlLines, line: number): number {
  return lines.index.lineStart(line) + lines.lineText(line).length;
}

/** End of a value that starts on `line`: the lines below indented deeper than `threshold` belong to it. */
function valueEnd(lines: YamlLines, line: number, threshold: number): number {
  let end = lineEnd(lines, line);
  for (let l = line + 1; l < lines.index.lineCount; l++) {
    const t = lines.lineText(l);
    const trimmed = t.trimStart();
    if (!trimmed) continue;
    if (t.length - trimmed.length <= threshold) break;
    end = lineEnd(lines, l);
  }
  return end;
}

/** The scalar key or value at `rel` in a node, with its path. */
function nodeAt(
  node: Node | null,
  rel: number,
  path: PathSegment[],
): { path: PathSegment[]; range: [number, number] } | undefined {
  const inside = (r: readonly number[] | null | undefined) => !!r && rel >= r[0] && rel < r[1];
  if (isMap(node)) {
    for (const pair of node.items) {
      const k = pair.key as Node | null;
      if (!isScalar(k)) continue;
      const key = String(k.value);
      if (inside(k.range)) return { path: [...path, key], range: [k.range![0], k.range![1]] };
      const v = pair.value as Node | null;
      if (v && inside(v.range)) return nodeAt(v, rel, [...path, key]);
    }
    return undefined;
  }
  if (isSeq(node)) {
    const i = node.items.findIndex((it) => inside((it as Node | null)?.range));
    return i === -1 ? undefined : nodeAt(node.items[i] as Node, rel, [...path, i]);
  }
  if (isScalar(node) && inside(node.range))
    return { path, range: [node.range![0], node.range![1]] };
  return undefined;
}
