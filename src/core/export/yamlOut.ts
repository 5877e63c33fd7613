// YAML written with the `yaml` package: objects in the key order they were built in (so the
// output is stable and golden-testable), comments attached to the key they explain.
import { Document, isMap, isScalar, isSeq, type Node } from 'yaml';

export type YamlPath = (string | number)[];

export interface YamlComment {
  /** The key (or list item) the comment stands above. */
  path: YamlPath;
  text: string;
}

export interface YamlObject {
  value: Record<string, unknown>;
  comments?: YamlComment[];
}

/** One or more YAML documents (`---` between them), the first headed by `header` as `#` lines. */
export function renderYaml(header: readonly string[], objects: readonly YamlObject[]): string {
  return objects
    .map((o, i) => {
      // Written as YAML 1.1 reads it: a string like no, on or 1.0 is quoted, so that readers on YAML 1.1
      // (kubectl's, docker-compose v1) take it for the string it is, never a boolean or a number.
      const doc = new Document(o.value, { aliasDuplicateObjects: false, version: '1.1' });
      if (i === 0 && header.length)
        doc.commentBefore = header.map((l) => (l ? ` ${l}` : '')).join('\n');
      for (const c of o.comments ?? []) commentAbove(doc, c);
      return doc.toString({ lineWidth: 0 });
    })
    .join('---\n');
}

function commentAbove(doc: Document, c: YamlComment): void {
  const parentPath = c.path.slice(0, -1);
  const last = c.path[c.path.length - 1];
  const parent = parentPath.length ? doc.getIn(parentPath, true) : doc.contents;
  const text = c.text
    .split('\n')
    .map((l) => (l ? ` ${l}` : ''))
    .join('\n');
  let target: Node | undefined;
  if (isMap(parent)) {
    const pair = parent.items.find((p) => isScalar(p.key) && p.key.value === last);
    if (pair && isScalar(pair.key)) target = pair.key;
  } else if (isSeq(parent) && typeof last === 'number') {
    const item = parent.items[last];
    if (item && typeof item === 'object') target = item as Node;
  }
  // A comment on a path that is not there is a mistake in the exporter, never silently lost.
  if (!target) throw new Error(`no YAML node at ${c.path.join('.')} to comment on`);
  target.commentBefore = target.commentBefore ? `${target.commentBefore}\n${text}` : text;
}
