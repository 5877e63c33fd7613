// A .dockerignore, kept simple: one pattern a line, `#` comments, `*`, `?`, `**`,
// `[...]`, and `!` to take a path back in. As in Docker, the last pattern that matches
// a path decides, and a pattern that matches a folder matches everything inside it.

export interface IgnoreRules {
  ignores(relPath: string): boolean;
  /** Some pattern takes paths back in: an ignored folder must still be walked. */
  readonly hasExceptions: boolean;
}

interface Rule {
  regex: RegExp;
  exception: boolean;
}

export function parseDockerignore(text: string): IgnoreRules {
  const rules: Rule[] = [];
  for (const raw of text.split(/\r?\n/)) {
    let line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const exception = line.startsWith('!');
    if (exception) line = line.slice(1).trim();
    line = cleanPattern(line);
    if (!line) continue;
    rules.push({ regex: patternRegex(line), exception });
  }
  return {
    hasExceptions: rules.some((r) => r.exception),
    ignores(relPath) {
      const candidates = prefixes(relPath);
      let ignored = false;
      for (const rule of rules) {
        if (candidates.some((c) => rule.regex.test(c))) ignored = !rule.exception;
      }
      return ignored;
    },
  };
}

/** "a/b/c" → ["a", "a/b", "a/b/c"]: a folder's pattern covers what is inside it. */
function prefixes(relPath: string): string[] {
  const parts = relPath.split('/');
  return parts.map((_, i) => parts.slice(0, i + 1).join('/'));
}

function cleanPattern(p: string): string {
  const parts: string[] = [];
  for (const part of p.replace(/\\/g, '/').split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') parts.pop();
    else parts.push(part);
  }
  return parts.join('/');
}

function patternRegex(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*') {
      if (pattern[i + 1] === '*') {
        // `**/` is any number of folders (also none); a trailing `**` is anything.
        i++;
        if (pattern[i + 1] === '/') {
          i++;
          re += '(?:.*/)?';
        } else re += '.*';
      } else re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end < 0) re += '\\[';
      else {
        const body = pattern.slice(i + 1, end).replace(/\\/g, '\\\\');
        re += `[${body.startsWith('^') || body.startsWith('!') ? `^${body.slice(1)}` : body}]`;
        i = end;
      }
    } else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}
