// The engine's log timestamps. With `timestamps` each message starts with one in Go's
// RFC3339NanoFixed format and a space. In UTC it has a fixed width, so comparing the
// strings compares the times; anything else (another zone, fewer digits) is rewritten to
// that form once, so that keys always compare as strings.

const FIXED_UTC = /^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{9}Z$/;
const GENERAL =
  /^([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2})(?:\.([0-9]{1,9}))?(Z|[+-][0-9]{2}:[0-9]{2})$/;

/** A timestamp as a sortable UTC key with 9 fraction digits; undefined when it is not one. */
export function timestampKey(ts: string): string | undefined {
  if (ts.length === 30 && FIXED_UTC.test(ts)) return ts;
  const m = GENERAL.exec(ts);
  if (!m) return undefined;
  const ms = Date.parse(`${m[1]}${m[3]}`);
  if (Number.isNaN(ms)) return undefined;
  return `${new Date(ms).toISOString().slice(0, 19)}.${(m[2] ?? '').padEnd(9, '0')}Z`;
}

/** A key for a time in milliseconds since the epoch (markers, cut-offs). */
export function keyFromMs(ms: number): string {
  const iso = new Date(Math.floor(ms)).toISOString(); // …T12:53:58.603Z
  return `${iso.slice(0, 23)}000000Z`;
}

/** Whole seconds since the epoch at or before this key: a safe `since` to resume from. */
export function secondsAtOrBefore(key: string): number {
  return Math.floor(Date.parse(`${key.slice(0, 19)}Z`) / 1000);
}
