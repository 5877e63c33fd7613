// How the classic builder reads back what dockerfile.ts writes (moby's shell lexer rules),
// so that tests can check that every value arrives exactly as written. Anything the
// builder would treat specially (an unescaped `$`, a quote) is an error here: it means a
// value escaped its escaping.

/** A word of COPY / WORKDIR / FROM after the builder's expansion. */
export function readShellWord(word: string): string {
  let out = '';
  for (let i = 0; i < word.length; i++) {
    const c = word[i];
    if (c === '\\') {
      if (i + 1 < word.length) out += word[++i];
      continue;
    }
    if (c === '$' || c === '"' || c === "'")
      throw new Error(`unescaped ${c} at ${i} in ${JSON.stringify(word)}`);
    out += c;
  }
  return out;
}

/** `ENV NAME="…"` → [NAME, value]. */
export function readEnvLine(line: string): [string, string] {
  const m = /^ENV ([A-Za-z_][A-Za-z0-9_]*)=(".*)$/s.exec(line);
  if (!m) throw new Error(`not an ENV line: ${JSON.stringify(line)}`);
  return [m[1], readQuoted(m[2])];
}

/** `"…"` (the whole text) → its value, as the builder reads a double-quoted word. */
export function readQuoted(text: string): string {
  if (!text.startsWith('"')) throw new Error(`not quoted: ${JSON.stringify(text)}`);
  const body = text.slice(1);
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c === '\\' && (body[i + 1] === '"' || body[i + 1] === '$' || body[i + 1] === '\\')) {
      out += body[++i];
      continue;
    }
    if (c === '$') throw new Error(`unescaped $ in ${JSON.stringify(text)}`);
    if (c === '"') {
      if (i !== body.length - 1)
        throw new Error(`the quoted value ends before the line does: ${JSON.stringify(text)}`);
      return out;
    }
    out += c;
  }
  throw new Error(`unterminated value: ${JSON.stringify(text)}`);
}

/** The JSON array after `KEYWORD [--flags] `. */
export function readExecForm(line: string): string[] {
  const m = /^[A-Z]+ (?:--[a-z-]+=\S+ )*(?:CMD )?(\[.*\])$/s.exec(line);
  if (!m) throw new Error(`not an exec-form line: ${JSON.stringify(line)}`);
  const args = JSON.parse(m[1]) as unknown;
  if (!Array.isArray(args) || !args.every((a) => typeof a === 'string'))
    throw new Error(`not a list of strings: ${m[1]}`);
  return args as string[];
}
