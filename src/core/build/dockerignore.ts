// A .dockerignore, read the way Docker reads one (moby/patternmatcher): one pattern a
// line, a line starting with `#` is a comment, `!` takes paths back in, and the last
// pattern that matches a path or a folder above it decides. A pattern is cleaned like Go's
// filepath.Clean (a leading `/` dropped) and matched segment by segment: a segment that is
// `**` stands for any number of folders (none too); any other segment matches one path
// segment under Go's filepath.Match (`*`, `?`, `[a-z]`, `[^…]`, `\` escapes).
// No regular expression is built from a pattern: matching walks the pattern's positions
// along the path, so its time is bounded by pattern length × path length, whatever the
// pattern (a run of `**/` once backtracked exponentially).

export interface IgnoreRules {
  ignores(relPath: string): boolean;
  /** Some pattern takes paths back in: an ignored folder must still be walked. */
  readonly hasExceptions: boolean;
}

/** A pattern Go's filepath.Match would refuse (or one that can never match, like `[z-a]`). */
export class DockerignoreError extends Error {
  override readonly name = 'DockerignoreError';
  constructor(
    /** 1-based. */
    readonly line: number,
    readonly pattern: string,
    reason: string,
  ) {
    super(
      `.dockerignore line ${line}: \`${pattern}\` is not a valid pattern: ${reason}; fix or remove that line.`,
    );
  }
}

type Token =
  | { kind: 'star' }
  | { kind: 'any' }
  | { kind: 'char'; c: number }
  | { kind: 'class'; negated: boolean; ranges: [number, number][] };
/** `**`, or one segment's tokens. */
type Segment = 'any-folders' | Token[];

interface Rule {
  segments: Segment[];
  exception: boolean;
}

const BOM = '\uFEFF';

/** Throws DockerignoreError for a pattern that is not valid. */
export function parseDockerignore(text: string): IgnoreRules {
  const rules: Rule[] = [];
  const lines = (text.startsWith(BOM) ? text.slice(1) : text).split(/\r?\n/);
  lines.forEach((raw, i) => {
    // As in Docker: a comment is a `#` in the first column, before any trimming.
    if (raw.startsWith('#')) return;
    let line = raw.trim();
    if (!line) return;
    const exception = line.startsWith('!');
    if (exception) line = line.slice(1).trim();
    if (!line) throw new DockerignoreError(i + 1, raw.trim(), 'a `!` needs a pattern after it');
    const cleaned = cleanPattern(line);
    let segments: Segment[];
    try {
      segments =
        cleaned === '.'
          ? []
          : cleaned.split('/').map((s) => (s === '**' ? 'any-folders' : compileSegment(s)));
    } catch (e) {
      if (e instanceof BadSegment) throw new DockerignoreError(i + 1, raw.trim(), e.message);
      throw e;
    }
    // `.` (the context itself) is never a path we are asked about: such a rule matches nothing.
    if (segments.length) rules.push({ segments, exception });
  });
  return {
    hasExceptions: rules.some((r) => r.exception),
    ignores(relPath) {
      const names = relPath.split('/').map(codePoints);
      let ignored = false;
      for (const rule of rules) {
        if (ignored === !rule.exception) continue; // this rule could not change the verdict
        if (matchesPathOrParent(rule.segments, names)) ignored = !rule.exception;
      }
      return ignored;
    },
  };
}

/** Go's filepath.Clean on a slash path, then without a leading `/` (as Docker's ReadAll does). */
function cleanPattern(p: string): string {
  const rooted = p.startsWith('/');
  const parts: string[] = [];
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (parts.length && parts[parts.length - 1] !== '..') parts.pop();
      else if (!rooted) parts.push('..');
    } else parts.push(part);
  }
  return parts.join('/') || '.';
}

class BadSegment extends Error {}

/** One segment under filepath.Match's grammar; throws BadSegment (the reason) when it is not valid. */
function compileSegment(segment: string): Token[] {
  const cps = codePoints(segment);
  const tokens: Token[] = [];
  let i = 0;
  const literal = (what: string): number => {
    // A class member: `\x` is x; `-` and `]` must be escaped; there must be more after it (the `]`).
    if (i >= cps.length) throw new BadSegment('a `[` is never closed by `]`');
    let c = cps[i];
    if (c === 0x2d || c === 0x5d)
      throw new BadSegment(`a \`${String.fromCodePoint(c)}\` ${what} must be escaped with \`\\\``);
    if (c === 0x5c) {
      i++;
      if (i >= cps.length) throw new BadSegment('a `[` is never closed by `]`');
      c = cps[i];
    }
    i++;
    if (i >= cps.length) throw new BadSegment('a `[` is never closed by `]`');
    return c;
  };
  while (i < cps.length) {
    const c = cps[i];
    if (c === 0x2a /* * */) {
      if (tokens[tokens.length - 1]?.kind !== 'star') tokens.push({ kind: 'star' });
      i++;
    } else if (c === 0x3f /* ? */) {
      tokens.push({ kind: 'any' });
      i++;
    } else if (c === 0x5c /* \ */) {
      if (i + 1 >= cps.length) throw new BadSegment('it ends in a `\\` that escapes nothing');
      tokens.push({ kind: 'char', c: cps[i + 1] });
      i += 2;
    } else if (c === 0x5b /* [ */) {
      i++;
      const negated = cps[i] === 0x5e; /* ^ */
      if (negated) i++;
      const ranges: [number, number][] = [];
      for (;;) {
        if (cps[i] === 0x5d /* ] */ && ranges.length > 0) {
          i++;
          break;
        }
        if (cps[i] === 0x5d && ranges.length === 0)
          throw new BadSegment('a character class `[]` must not be empty');
        const lo = literal('inside [...]');
        let hi = lo;
        if (cps[i] === 0x2d /* - */) {
          i++;
          hi = literal('ending a range');
        }
        // Go accepts a backwards range and matches nothing with it: that is never what was meant.
        if (lo > hi)
          throw new BadSegment(
            `the range ${String.fromCodePoint(lo)}-${String.fromCodePoint(hi)} runs backwards and matches nothing`,
          );
        ranges.push([lo, hi]);
      }
      tokens.push({ kind: 'class', negated, ranges });
    } else {
      tokens.push({ kind: 'char', c });
      i++;
    }
  }
  return tokens;
}

function codePoints(s: string): number[] {
  const out: number[] = [];
  for (const ch of s) out.push(ch.codePointAt(0)!);
  return out;
}

/**
 * Whether the pattern matches the path or one of the folders above it, that is some
 * leading part of its names. A walk over the set of pattern positions reachable after
 * each name (a `**` may stay where it is or be skipped): O(pattern × names) segment tests.
 */
function matchesPathOrParent(pattern: Segment[], names: number[][]): boolean {
  const end = pattern.length;
  let current = new Uint8Array(end + 1);
  current[0] = 1;
  current = closure(pattern, current);
  for (const name of names) {
    const next = new Uint8Array(end + 1);
    let any = false;
    for (let j = 0; j < end; j++) {
      if (!current[j]) continue;
      const seg = pattern[j];
      if (seg === 'any-folders') next[j] = 1;
      else if (matchSegment(seg, name)) next[j + 1] = 1;
      else continue;
      any = true;
    }
    if (!any) return false;
    current = closure(pattern, next);
    if (current[end]) return true;
  }
  return false;
}

/** A `**` also matches no folder at all: whoever stands before it may stand after it. */
function closure<T extends Uint8Array>(pattern: Segment[], states: T): T {
  for (let j = 0; j < pattern.length; j++)
    if (states[j] && pattern[j] === 'any-folders') states[j + 1] = 1;
  return states;
}

/** filepath.Match on one segment: greedy, going back only to the last `*` (O(pattern × name)). */
function matchSegment(tokens: Token[], name: number[]): boolean {
  let t = 0;
  let i = 0;
  let starT = -1;
  let starI = 0;
  while (i < name.length) {
    const token = tokens[t];
    if (token?.kind === 'star') {
      starT = t++;
      starI = i;
    } else if (token && matchesOne(token, name[i])) {
      t++;
      i++;
    } else if (starT >= 0) {
      t = starT + 1;
      i = ++starI;
    } else return false;
  }
  while (tokens[t]?.kind === 'star') t++;
  return t === tokens.length;
}

function matchesOne(token: Exclude<Token, { kind: 'star' }>, c: number): boolean {
  switch (token.kind) {
    case 'any':
      return true;
    case 'char':
      return token.c === c;
    case 'class':
      return token.ranges.some(([lo, hi]) => lo <= c && c <= hi) !== token.negated;
  }
}
