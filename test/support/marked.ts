// Test text with markers: `«` and `»` around an expected range, `|` for a cursor.
export interface Marked {
  text: string;
  ranges: { start: number; end: number }[];
  cursor?: number;
}

export function unmark(marked: string, { cursor = false } = {}): Marked {
  let text = '';
  const ranges: { start: number; end: number }[] = [];
  const open: number[] = [];
  let cursorAt: number | undefined;
  for (let i = 0; i < marked.length; i++) {
    if (marked[i] === '«') {
      open.push(text.length);
    } else if (marked[i] === '»' && open.length) {
      ranges.push({ start: open.pop()!, end: text.length });
    } else if (cursor && marked[i] === '|' && cursorAt === undefined) {
      cursorAt = text.length;
    } else text += marked[i];
  }
  return { text, ranges, cursor: cursorAt };
}

/** Strips the common leading indentation of a template literal, and its first newline. */
export function dedent(s: string): string {
  const lines = s.replace(/^\n/, '').split('\n');
  const indent = Math.min(...lines.filter((l) => l.trim()).map((l) => l.match(/^ */)![0].length));
  return lines.map((l) => l.slice(indent)).join('\n');
}
