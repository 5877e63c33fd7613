// Reading the master copy JSON Schema: the one source for validation messages,
// completion and hover.
import schemaJson from '../../../schemas/mastercopy.schema.json';
import type { PathSegment } from './yamlSource';

export interface SchemaNode {
  $ref?: string;
  type?: string | string[];
  description?: string;
  properties?: Record<string, SchemaNode>;
  additionalProperties?: boolean | SchemaNode;
  items?: SchemaNode;
  required?: string[];
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
  examples?: unknown[];
  anyOf?: SchemaNode[];
  oneOf?: SchemaNode[];
  minimum?: number;
  maximum?: number;
  pattern?: string;
  patternErrorMessage?: string;
}

export const rootSchema = schemaJson as unknown as SchemaNode & {
  $defs: Record<string, SchemaNode>;
};

export function deref(node: SchemaNode | undefined): SchemaNode | undefined {
  let n = node;
  for (let i = 0; n?.$ref && i < 10; i++) {
    const name = n.$ref.replace('#/$defs/', '');
    // A $ref beside a description keeps the description (the more specific text).
    n = {
      ...rootSchema.$defs[name],
      ...(n.description ? { description: n.description } : {}),
      ...(n.examples ? { examples: n.examples } : {}),
    };
  }
  return n;
}

/** The alternatives a value at this node may take (one for plain nodes). */
export function alternatives(node: SchemaNode | undefined): SchemaNode[] {
  const n = deref(node);
  if (!n) return [];
  const alts = n.anyOf ?? n.oneOf;
  if (alts && !n.type && !n.properties)
    return alts.map((a) => ({ ...deref(a)!, description: deref(a)!.description ?? n.description }));
  return [n];
}

/** The object branch of a node, if values here can be objects. */
export function objectBranch(node: SchemaNode | undefined): SchemaNode | undefined {
  return alternatives(node).find((a) => a.type === 'object' || a.properties);
}

/** The schema of the value at `path` (array indices and map keys both walk down). */
export function schemaAt(path: readonly PathSegment[]): SchemaNode | undefined {
  let node: SchemaNode | undefined = rootSchema;
  for (const seg of path) {
    const alts = alternatives(node);
    let next: SchemaNode | undefined;
    for (const a of alts) {
      if (typeof seg === 'number') next = a.items ? deref(a.items) : undefined;
      else
        next =
          a.properties?.[seg] ??
          (typeof a.additionalProperties === 'object' ? a.additionalProperties : undefined);
      if (next) break;
    }
    node = next;
    if (!node) return undefined;
  }
  return deref(node);
}

/** `files[2].mode` style, for messages. */
export function displayPath(path: readonly PathSegment[]): string {
  let s = '';
  for (const seg of path) s += typeof seg === 'number' ? `[${seg}]` : s ? `.${seg}` : String(seg);
  return s || 'the master copy';
}
