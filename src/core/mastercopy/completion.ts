// Completion in a master copy: keys, values and whole sections, from the schema.
//
// Works on text that is being typed (often not valid YAML): the place is read
// from the lines around the cursor (yamlContext.ts), never from a parse of the
// whole document, so it stays fast on big files.
import type { OffsetRange } from './diagnostic';
import { scaffoldMasterCopy, toMasterCopyName } from './scaffold';
import { alternatives, deref, objectBranch, schemaAt, type SchemaNode } from './schema';
import { schemaMarkdown, typeSummary, yamlFlow, yamlKey, yamlScalar } from './schemaDocs';
import { cursorContext, YamlLines, type CursorContext } from './yamlContext';
import type { PathSegment } from './yamlSource';

export interface CompletionItem {
  label: string;
  kind: 'property' | 'value' | 'snippet';
  /**
   * The text to insert. When `isSnippet`, VS Code snippet syntax
   * (`${1:placeholder}`, `${1|a,b|}`). Lines after the first are indented
   * relative to the indentation of the line the completion happens on, which
   * is how VS Code inserts them (it prefixes that indentation itself).
   */
  insertText: string;
  isSnippet: boolean;
  detail?: string;
  /** Markdown. */
  documentation?: string;
  sortText?: string;
  /** The text the item replaces (the partly typed word); an empty range at the cursor when nothing is typed. */
  replaceRange?: OffsetRange;
}

export interface CompletionResult {
  items: CompletionItem[];
}

export interface CompletionOptions {
  /** File name of the master copy, used to name a new one in the scaffold snippet. */
  fileName?: string;
}

/** Root keys offered before all others, in this order. */
const FIRST_ROOT_KEYS = ['mastercopy', 'name', 'version', 'from'];

export function completeAt(
  text: string,
  offset: number,
  options: CompletionOptions = {},
): CompletionResult {
  const lines = new YamlLines(text);
  const ctx = cursorContext(lines, Math.max(0, Math.min(offset, text.length)));
  if (!ctx) return { items: [] };
  const schema = schemaAt(ctx.path);
  if (!schema) return { items: [] };
  if (ctx.kind === 'value')
    return { items: valueItems(schema, ctx.path, ctx.range, ctx.flow, ctx.needsSpace) };

  const items: CompletionItem[] = [];
  const obj = objectBranch(schema);
  const props = obj?.properties ? Object.keys(obj.properties) : [];
  props.forEach((name, i) => {
    if (ctx.siblings.has(name)) return;
    const rank =
      ctx.path.length === 0 && FIRST_ROOT_KEYS.includes(name)
        ? `0${FIRST_ROOT_KEYS.indexOf(name)}`
        : `1${String(i).padStart(2, '0')}`;
    items.push(propertyItem(name, deref(obj!.properties![name])!, [...ctx.path, name], ctx, rank));
  });
  if (!ctx.flow && ctx.path.length === 0 && ctx.siblings.size === 0 && ctx.extraIndent === 0)
    items.push(scaffoldItem(ctx.range, options.fileName));
  if (!ctx.flow && !ctx.itemValue && !ctx.hasColon && isList(schema)) {
    const b = new TabStops();
    const body = indentLines(itemLines(schema, ctx.path, b), ctx.extraIndent);
    items.push({
      label: `- ${plainPreview(body[0].slice(2))}`,
      kind: 'snippet',
      detail: 'new item',
      documentation: docsFor(schema, ctx.path).documentation,
      ...snippetText(body.join('\n'), b),
      sortText: '0',
      replaceRange: ctx.range,
    });
  }
  // Right after `- ` the item may be a plain value too (a port number, a capability).
  if (ctx.itemValue) items.push(...valueItems(schema, ctx.path, ctx.range, false, false));
  return { items };
}

function propertyItem(
  name: string,
  prop: SchemaNode,
  path: PathSegment[],
  ctx: Extract<CursorContext, { kind: 'key' }>,
  sortText: string,
): CompletionItem {
  const base = {
    label: name,
    kind: 'property' as const,
    ...docsFor(prop, path),
    sortText,
    replaceRange: ctx.range,
  };
  const key = yamlKey(name);
  if (ctx.hasColon) return { ...base, insertText: key, isSnippet: false };
  const b = new TabStops();
  const body = bodyFor(prop, path, b, ctx.flow);
  // A scalar with nothing useful to propose: just `key: `, the cursor after it.
  if (!body.block && body.inline === '$1')
    return { ...base, insertText: `${key}: `, isSnippet: false };
  let text = `${key}:${body.inline !== undefined ? ` ${body.inline}` : ''}`;
  const pad = ' '.repeat(2 + ctx.extraIndent);
  if (body.block) text += body.block.map((l) => `\n${pad}${l}`).join('');
  return { ...base, ...snippetText(text, b) };
}

/** The schema does not change: its text for each place is made once. */
const docsCache = new Map<string, { detail: string; documentation: string }>();

function docsFor(node: SchemaNode, path: PathSegment[]): { detail: string; documentation: string } {
  const key = pattern(path);
  let docs = docsCache.get(key);
  if (!docs)
    docsCache.set(
      key,
      (docs = {
        detail: typeSummary(node),
        documentation: schemaMarkdown(node, path, { title: false }),
      }),
    );
  return docs;
}

// ---------------------------------------------------------------------------
// Values

function valueItems(
  schema: SchemaNode,
  path: PathSegment[],
  range: OffsetRange,
  flow: boolean,
  needsSpace: boolean,
): CompletionItem[] {
  const alts = alternatives(schema);
  const values: unknown[] = [];
  for (const a of alts) {
    if (a.const !== undefined) values.push(a.const);
    if (a.enum) values.push(...a.enum);
    if (a.type === 'boolean') values.push(true, false);
  }
  const dflt = schema.default ?? alts.find((a) => a.default !== undefined)?.default;
  if (dflt !== undefined) values.push(dflt);
  values.push(...(schema.examples ?? alts.flatMap((a) => a.examples ?? [])));

  const { documentation } = docsFor(schema, path);
  const seen = new Set<string>();
  const out: CompletionItem[] = [];
  for (const v of values) {
    const text = v !== null && typeof v === 'object' ? yamlFlow(v) : yamlScalar(v, flow);
    if (seen.has(text)) continue;
    seen.add(text);
    out.push({
      label: typeof v === 'string' ? v : text,
      kind: 'value',
      insertText: (needsSpace ? ' ' : '') + text,
      isSnippet: false,
      detail: dflt !== undefined && yamlFlow(v) === yamlFlow(dflt) ? 'default' : undefined,
      documentation,
      sortText: String(out.length).padStart(3, '0'),
      replaceRange: range,
    });
  }
  return out;
}

// ---------------------------------------------------------------------------
// Snippets

/** Numbered tab stops, in the order they are made. */
class TabStops {
  count = 0;

  /** `${n:text}` (text is YAML, escaped for snippets here), or `$n` with no text. */
  tab(text?: string): string {
    const n = ++this.count;
    return text === undefined || text === '' ? `$${n}` : `\${${n}:${escapePlaceholder(text)}}`;
  }

  /** A tab stop for a scalar value, keeping quotes outside so that what is typed stays a string. */
  scalar(v: unknown, flow: boolean): string {
    const text = yamlScalar(v, flow);
    if (
      typeof v === 'string' &&
      text.startsWith('"') &&
      text === JSON.stringify(v) &&
      !/["\\]/.test(v)
    )
      return `"${this.tab(v)}"`;
    return this.tab(text);
  }

  choice(values: unknown[]): string {
    const n = ++this.count;
    return `\${${n}|${values.map((v) => yamlScalar(v).replace(/[\\,|$}]/g, '\\$&')).join(',')}|}`;
  }
}

function escapePlaceholder(s: string): string {
  return s.replace(/[\\$}]/g, '\\$&');
}

function escapeText(s: string): string {
  return s.replace(/[\\$}]/g, '\\$&');
}

/** Snippet text, or plain text when it has no tab stops. */
function snippetText(text: string, b: TabStops): { insertText: string; isSnippet: boolean } {
  if (b.count > 0) return { insertText: text, isSnippet: true };
  return { insertText: text.replace(/\\([\\$}])/g, '$1'), isSnippet: false };
}

/** What follows `key:` — on the same line (`inline`) and/or on the lines below (`block`, relative to the key). */
interface Body {
  inline?: string;
  block?: string[];
}

/** `files[].content` style: the path with every index as `[]`. */
function pattern(path: readonly PathSegment[]): string {
  return path
    .map((s) => (typeof s === 'number' ? '[]' : s))
    .join('.')
    .replace(/\.\[\]/g, '[]');
}

/** Sections whose best first shape the schema cannot say (which of several options, hardened defaults). */
const CURATED: Record<string, (b: TabStops) => Body> = {
  build: (b) => ({ block: ['steps:', `  - ${b.tab('mkdir -p /srv/data')}`] }),
  'build.steps[]': (b) => ({ inline: b.tab('mkdir -p /srv/data') }),
  'files[]': (b) => ({
    block: [`path: ${b.tab('/etc/app/config')}`, 'content: |', `  ${b.tab()}`],
  }),
  'files[].content': (b) => ({ inline: '|', block: [b.tab()] }),
  'ports[]': (b) => ({ inline: b.tab('8080') }),
  health: (b) => ({ block: ['http:', `  port: ${b.tab('8080')}`, `  path: ${b.tab('/health')}`] }),
  'health.http': (b) => ({ block: [`port: ${b.tab('8080')}`, `path: ${b.tab('/health')}`] }),
  runtime: (b) => ({
    block: [
      `readOnly: ${b.choice([true, false])}`,
      `tmpfs: [${b.tab('/tmp')}]`,
      `capabilities: { drop: [ALL], add: [${b.tab()}] }`,
      `noNewPrivileges: ${b.choice([true, false])}`,
      `restart: ${b.choice(['on-failure', 'no', 'always', 'unless-stopped'])}`,
    ],
  }),
  autoscale: (b) => ({
    block: [
      `min: ${b.tab('1')}`,
      `max: ${b.tab('5')}`,
      `inflight: ${b.tab('10')}`,
      `cooldown: ${b.tab('30s')}`,
    ],
  }),
  'runtime.capabilities': (b) => ({ block: [`drop: [${b.tab('ALL')}]`, `add: [${b.tab()}]`] }),
  'volumes[]': (b) => ({ block: [`name: ${b.tab('data')}`, `path: ${b.tab('/var/lib/data')}`] }),
  'secrets[]': (b) => ({
    block: [`name: ${b.tab('DB_PASSWORD')}`, `fromEnv: ${b.tab('DB_PASSWORD')}`],
  }),
};

function isList(node: SchemaNode): boolean {
  const alts = alternatives(node);
  return alts.length > 0 && alts.every((a) => a.type === 'array');
}

/** Items of this list are mappings only (files, volumes), not also scalars (ports). */
function hasObjectItems(list: SchemaNode): boolean {
  const alts = alternatives(deref(list.items));
  return alts.length > 0 && alts.every((a) => a.type === 'object' || a.properties);
}

function bodyFor(node: SchemaNode, path: PathSegment[], b: TabStops, flow: boolean): Body {
  const curated = CURATED[pattern(path)];
  if (curated && !flow) return curated(b);
  const alts = alternatives(node);
  const dflt = node.default ?? alts.find((a) => a.default !== undefined)?.default;
  const example = dflt ?? node.examples?.[0] ?? alts.find((a) => a.examples?.length)?.examples?.[0];

  const constant = alts.find((a) => a.const !== undefined);
  if (constant) return { inline: escapeText(yamlScalar(constant.const, flow)) };
  const enumAlt = alts.find((a) => a.enum);
  if (enumAlt) return { inline: b.choice(orderDefaultFirst(enumAlt.enum!, dflt)) };
  if (alts.some((a) => a.type === 'boolean'))
    return { inline: b.choice(orderDefaultFirst([true, false], dflt)) };

  const list = alts.find((a) => a.type === 'array');
  if (list && (!example || Array.isArray(example))) {
    if (!flow && (hasObjectItems(list) || CURATED[pattern([...path, 0])]))
      return { block: itemLines(list, path, b) };
    const items = Array.isArray(example) ? example : [];
    let parts = items.map((x) => yamlFlow(x));
    // One quoting style in a list: `["/bin/httpd", "-f"]`, not `[/bin/httpd, "-f"]`.
    if (parts.some((p) => p.startsWith('"')))
      parts = items.map((x) => (typeof x === 'string' ? JSON.stringify(x) : yamlFlow(x)));
    return { inline: `[${b.tab(parts.join(', '))}]` };
  }
  const obj = objectBranch(node);
  if (obj) {
    if (flow) return { inline: `{ ${b.tab()} }` };
    if (!obj.properties) {
      // A map of names to scalars (env, labels, build.args): one entry from the example.
      const [k, v] =
        example && typeof example === 'object' ? (Object.entries(example)[0] ?? []) : [];
      return {
        block: [
          `${b.tab(k === undefined ? 'NAME' : yamlKey(k))}: ${v === undefined ? b.tab() : b.scalar(v, false)}`,
        ],
      };
    }
    const required = obj.required ?? [];
    if (required.length === 0) return { block: [b.tab()] };
    const block: string[] = [];
    for (const name of required) {
      const sub = bodyFor(deref(obj.properties[name])!, [...path, name], b, false);
      block.push(`${yamlKey(name)}:${sub.inline !== undefined ? ` ${sub.inline}` : ''}`);
      if (sub.block) block.push(...sub.block.map((l) => `  ${l}`));
    }
    return { block };
  }
  if (example !== undefined && (typeof example !== 'object' || example === null))
    return { inline: b.scalar(example, flow) };
  return { inline: b.tab() };
}

/** Lines of one new item of a list, starting with `- `. */
function itemLines(list: SchemaNode, path: PathSegment[], b: TabStops): string[] {
  const itemPath = [...path, 0];
  const items = deref(alternatives(list).find((a) => a.type === 'array')?.items) ?? {};
  let body: Body;
  if (CURATED[pattern(itemPath)]) body = CURATED[pattern(itemPath)](b);
  else if (hasObjectItems(alternatives(list).find((a) => a.type === 'array')!))
    body = bodyFor(objectBranch(items)!, itemPath, b, false);
  else {
    const ex = [list.default, ...(list.examples ?? [])].find(
      (e) => Array.isArray(e) && e.length,
    ) as unknown[] | undefined;
    body = { inline: ex ? b.scalar(ex[0], false) : b.tab() };
  }
  if (body.block && body.inline === undefined)
    return [`- ${body.block[0]}`, ...body.block.slice(1).map((l) => `  ${l}`)];
  return [`- ${body.inline ?? ''}`, ...(body.block ?? []).map((l) => `  ${l}`)];
}

function orderDefaultFirst(values: unknown[], dflt: unknown): unknown[] {
  return dflt === undefined || !values.includes(dflt)
    ? values
    : [dflt, ...values.filter((v) => v !== dflt)];
}

/** Lines after the first get `extra` more spaces (a key after `- ` sits deeper than its line's indentation). */
function indentLines(lines: string[], extra: number): string[] {
  if (extra <= 0) return lines;
  const pad = ' '.repeat(extra);
  return lines.map((l, i) => (i === 0 ? l : pad + l));
}

/** A snippet line with its placeholders shown as their text, for a label. */
function plainPreview(s: string): string {
  return s
    .replace(/\$\{\d+:([^}]*)\}/g, '$1')
    .replace(/\$\{\d+\|([^,|]*)[^}]*\}/g, '$1')
    .replace(/\$\d+/g, '…')
    .replace(/\\(.)/g, '$1');
}

// ---------------------------------------------------------------------------
// A whole new master copy

const NAME_MARK = 'mastercopy-scaffold-name';

function scaffoldItem(range: OffsetRange, fileName: string | undefined): CompletionItem {
  const name = fileName ? toMasterCopyName(fileName.replace(/^.*[\\/]/, '')) : 'my-server';
  // The name is typed once, at `name:`; every other place mirrors it.
  const text = escapeText(scaffoldMasterCopy(NAME_MARK))
    .replace(`name: ${NAME_MARK}`, `name: \${1:${name}}`)
    .replace(new RegExp(NAME_MARK, 'g'), '$$1')
    .replace(/^version: "([^"]*)"$/m, (_, v: string) => `version: "\${2:${v}}"`)
    .replace(/^from: (.*)$/m, (_, v: string) => `from: \${3:${v}}`);
  return {
    label: 'new master copy',
    kind: 'snippet',
    insertText: text,
    isSnippet: true,
    detail: 'a whole master copy, valid and hardened',
    documentation:
      'Starts a master copy: name, version, a base image, files, the command, ports, health and the hardened runtime defaults.',
    sortText: '00',
    replaceRange: range,
  };
}
