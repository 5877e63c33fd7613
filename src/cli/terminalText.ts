// What the CLI prints comes from master copies, the engine and the file system. A raw line
// break in a value could forge a second `FILE:LINE:COL: …` line, a raw ESC or BEL starts a
// command the terminal carries out, and bidi controls reorder what is read. So every such
// value goes through one of these before it is written: controls become visible escapes.

// C0 controls, DEL, C1 controls, the line and paragraph separators, and bidi controls.
const UNSAFE =
  /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const UNSAFE_IN_BLOCK =
  /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
// JSON.stringify escapes C0 controls itself (and its own indentation must stay as it is).
const UNSAFE_IN_JSON = /[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function escape(c: string): string {
  return NAMED[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

/** One line of output: a message, a file name, a table cell. Every control is escaped. */
export function oneLine(s: string): string {
  return s.replace(UNSAFE, escape);
}

/** Several lines meant to stay lines (a Dockerfile): line breaks and tabs stay, every other control is escaped. */
export function textBlock(s: string): string {
  return s.replace(UNSAFE_IN_BLOCK, escape);
}

/** JSON for a terminal: what JSON.stringify leaves raw (DEL, C1, separators, bidi controls) as \u escapes; the same value. */
export function terminalJson(value: unknown, indent?: number): string {
  return JSON.stringify(value, null, indent).replace(UNSAFE_IN_JSON, escape);
}
