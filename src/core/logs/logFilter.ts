// The filter of a log view: plain text (case-insensitive) or /regex/flags.

export type LogFilter = (text: string) => boolean;

/** Parses what the user typed; throws with a readable message for a bad /regex/. */
export function parseLogFilter(
  input: string,
): { filter: LogFilter; description: string } | undefined {
  const s = input.trim();
  if (!s) return undefined;
  const re = /^\/(.+)\/([a-z]*)$/.exec(s);
  if (re) {
    let regex: RegExp;
    try {
      regex = new RegExp(re[1], re[2].replace(/[gy]/g, ''));
    } catch (e) {
      throw new Error(`Not a valid regular expression: ${(e as Error).message}`);
    }
    return { filter: (t) => regex.test(t), description: s };
  }
  const needle = s.toLowerCase();
  return { filter: (t) => t.toLowerCase().includes(needle), description: JSON.stringify(s) };
}
