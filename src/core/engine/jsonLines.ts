// The engine streams build progress and events as one JSON object per line.

/** Parses a byte stream of newline-delimited JSON; a line that is not JSON is skipped. */
export async function* jsonLines(stream: AsyncIterable<Buffer | string>): AsyncGenerator<unknown> {
  // A UTF-8 character may be split across chunks; the decoder keeps the partial bytes.
  const decoder = new TextDecoder();
  let rest = '';
  for await (const chunk of stream) {
    rest += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
    let nl: number;
    while ((nl = rest.indexOf('\n')) >= 0) {
      const line = rest.slice(0, nl).trim();
      rest = rest.slice(nl + 1);
      const value = parse(line);
      if (value !== undefined) yield value;
    }
  }
  const value = parse((rest + decoder.decode()).trim());
  if (value !== undefined) yield value;
}

function parse(line: string): unknown {
  if (!line) return undefined;
  try {
    return JSON.parse(line);
  } catch {
    return undefined;
  }
}
