// The messages between the preview webview and the extension. The webview is untrusted
// ground (it renders text from the master copy, and a compromised page could post
// anything), so every message from it goes through parseWebviewMessage before anything is
// done: exactly the known shapes, own properties only, nothing else.

/** Commands the preview's buttons run (the same commands as elsewhere in the editor). */
export const PREVIEW_COMMANDS = ['build', 'print', 'tailLogs', 'promote'] as const;
export type PreviewCommand = (typeof PREVIEW_COMMANDS)[number];

export type WebviewMessage =
  /** A button: run the command for this master copy. */
  | { type: 'command'; command: PreviewCommand }
  /** A Roll back button of the History: serve the version of this ledger record again. */
  | { type: 'rollback'; seq: number }
  /** A problem or a Dockerfile line was clicked: show this range of the master copy. */
  | { type: 'reveal'; start: number; end: number }
  /** The page's script is running and listening. */
  | { type: 'ready' };

/** From the extension to the webview: replace the body (see html.ts, renderPreviewBody). */
export interface PanelUpdateMessage {
  type: 'update';
  /** Server-rendered, escaped HTML for the element with id `preview-root`. */
  body: string;
  /** The master copy shown (a URI): the page keeps it in its state, to be restored after a reload. */
  source: string;
}

/** What the page keeps with vscode.setState, handed back when VS Code restores the panel. */
export interface PreviewPageState {
  /** The master copy shown, as a URI string. */
  source: string;
  scrollY?: number;
}

/** The longest URI accepted from a page's state. */
const MAX_SOURCE = 4096;

/**
 * The page's saved state if it has the known shape (it comes from the page: untrusted);
 * undefined otherwise. The caller still checks that `source` is a master copy it can open.
 */
export function parsePreviewState(state: unknown): PreviewPageState | undefined {
  const fields = plainFields(state);
  if (!fields) return undefined;
  const source = fields.get('source');
  const scrollY = fields.get('scrollY');
  if (
    typeof source !== 'string' ||
    source.length === 0 ||
    source.length > MAX_SOURCE ||
    /[\u0000-\u001f]/.test(source)
  )
    return undefined;
  for (const key of fields.keys()) if (key !== 'source' && key !== 'scrollY') return undefined;
  if (scrollY === undefined) return { source };
  if (typeof scrollY !== 'number' || !Number.isFinite(scrollY) || scrollY < 0) return { source };
  return { source, scrollY };
}

/** No text is longer than this; larger offsets are refused rather than clamped. */
export const MAX_OFFSET = 0x7fff_ffff;

/** No ledger gets anywhere near this many records. */
export const MAX_SEQ = 0x7fff_ffff;

export interface ParseOptions {
  /** The master copy's current length: a reveal beyond it is refused. */
  textLength?: number;
}

/** The message if it is exactly one of the known shapes; undefined for anything else. */
export function parseWebviewMessage(
  message: unknown,
  options: ParseOptions = {},
): WebviewMessage | undefined {
  const fields = plainFields(message);
  if (!fields) return undefined;
  switch (fields.get('type')) {
    case 'ready':
      return fields.size === 1 ? { type: 'ready' } : undefined;
    case 'command': {
      const command = fields.get('command');
      if (fields.size !== 2 || typeof command !== 'string') return undefined;
      return (PREVIEW_COMMANDS as readonly string[]).includes(command)
        ? { type: 'command', command: command as PreviewCommand }
        : undefined;
    }
    case 'rollback': {
      const seq = fields.get('seq');
      if (
        fields.size !== 2 ||
        typeof seq !== 'number' ||
        !Number.isSafeInteger(seq) ||
        seq < 1 ||
        seq > MAX_SEQ
      )
        return undefined;
      return { type: 'rollback', seq };
    }
    case 'reveal': {
      const start = fields.get('start');
      const end = fields.get('end');
      if (fields.size !== 3 || !isOffset(start) || !isOffset(end) || end < start) return undefined;
      if (options.textLength !== undefined && end > options.textLength) return undefined;
      return { type: 'reveal', start, end };
    }
    default:
      return undefined;
  }
}

function isOffset(n: unknown): n is number {
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0 && n <= MAX_OFFSET;
}

/**
 * The own, enumerable, plain-valued properties of a plain object (prototype Object or
 * null), read without ever calling a getter; undefined for anything else: arrays, class
 * instances, objects with accessors, symbol keys or a `__proto__` own key.
 */
function plainFields(value: unknown): Map<string, unknown> | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return undefined;
  const keys = Reflect.ownKeys(value);
  if (keys.length > 8) return undefined;
  const out = new Map<string, unknown>();
  for (const key of keys) {
    if (
      typeof key !== 'string' ||
      key === '__proto__' ||
      key === 'constructor' ||
      key === 'prototype'
    )
      return undefined;
    const d = Object.getOwnPropertyDescriptor(value, key);
    if (!d || !('value' in d) || !d.enumerable) return undefined;
    out.set(key, d.value);
  }
  return out;
}
