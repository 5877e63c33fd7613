// What the schema says about a place in a master copy, as text for people:
// the documentation of completion items and hovers.
import { alternatives, deref, displayPath, type SchemaNode } from './schema';
import type { PathSegment } from './yamlSource';

/** A short type, like `string`, `true | false`, `list of objects`. */
export function typeSummary(node: SchemaNode | undefined): string {
  const parts = alternatives(node).map(oneType);
  return [...new Set(parts)].join(' or ');
}

function oneType(n: SchemaNode): string {
  if (n.const !== undefined) return show(n.const);
  if (n.enum) return n.enum.map(show).join(' | ');
  if (n.type === 'boolean') return 'true | false';
  if (n.type === 'array') {
    const items = deref(n.items);
    const inner = items ? alternatives(items).map(oneType) : [];
    const objects = inner.length > 0 && inner.every((t) => t === 'object');
    return objects
      ? 'list of objects'
      : inner.length
        ? `list of ${[...new Set(inner)].join(' or ')}`
        : 'list';
  }
  if (n.type === 'object' || n.properties) return n.properties ? 'object' : 'map';
  if (Array.isArray(n.type)) return n.type.join(' or ');
  return n.type ?? 'value';
}

/**
 * Markdown for the value at `path`: what it is, the allowed values, the default
 * and an example, all from the schema.
 */
export function schemaMarkdown(
  node: SchemaNode,
  path: readonly PathSegment[],
  { title = true } = {},
): string {
  const alts = alternatives(node);
  const out: string[] = [];
  if (title) out.push(`**\`${displayPath(path)}\`** · ${typeSummary(node)}`);
  const description = node.description ?? alts.find((a) => a.description)?.description;
  if (description) out.push(description);
  const allowed = alts.flatMap((a) => a.enum ?? (a.const !== undefined ? [a.const] : []));
  if (allowed.length)
    out.push(`Allowed values: ${allowed.map((v) => `\`${show(v)}\``).join(', ')}`);
  const dflt = node.default ?? alts.find((a) => a.default !== undefined)?.default;
  if (dflt !== undefined) out.push(`Default: \`${yamlFlow(dflt)}\``);
  const example = node.examples?.[0] ?? alts.find((a) => a.examples?.length)?.examples?.[0];
  const key = path[path.length - 1];
  if (example !== undefined && !(allowed.length && dflt !== undefined)) {
    const line =
      typeof key === 'string' ? `${yamlKey(key)}: ${yamlFlow(example)}` : `- ${yamlFlow(example)}`;
    out.push('Example:\n```yaml\n' + line + '\n```');
  }
  return out.join('\n\n');
}

/** A value as people read it: strings without quotes. */
export function show(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

const PLAIN_SAFE = /^[A-Za-z0-9_/.~][A-Za-z0-9_/.~:+@=-]*( [A-Za-z0-9_/.~:+@=-]+)*$/;
const PLAIN_FLOW_SAFE = /^[A-Za-z0-9_/.~][A-Za-z0-9_/.~:+@=-]*$/;

/** True when a plain (unquoted) YAML scalar with this text would not read back as this string. */
function needsQuotes(s: string, flow: boolean): boolean {
  if (!(flow ? PLAIN_FLOW_SAFE : PLAIN_SAFE).test(s)) return true;
  if (/: |:$/.test(s)) return true;
  // Numbers, booleans, null and the like read back as something else.
  return /^(?:\d+(?::\d+)+|[-+]?(?:\d[\d_]*)?\.?\d[\d_.eE+-]*|0x[0-9a-fA-F]+|0o[0-7]+|true|false|yes|no|on|off|null|~|\.inf|\.nan)$/i.test(
    s,
  );
}

/** A scalar as YAML text (quoted only when it must be). */
export function yamlScalar(v: unknown, flow = false): string {
  if (typeof v === 'string') return needsQuotes(v, flow) ? JSON.stringify(v) : v;
  if (v === null) return 'null';
  return String(v);
}

/** Any value on one line: scalars as they are, lists and maps in flow style. */
export function yamlFlow(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map((x) => yamlFlow(x)).join(', ')}]`;
  if (v && typeof v === 'object') {
    const entries = Object.entries(v);
    return entries.length
      ? `{ ${entries.map(([k, x]) => `${yamlKey(k)}: ${yamlFlow(x)}`).join(', ')} }`
      : '{}';
  }
  return yamlScalar(v, true);
}

export function yamlKey(k: string): string {
  return needsQuotes(k, true) && !/^[A-Za-z0-9_]+$/.test(k) ? JSON.stringify(k) : k;
}
