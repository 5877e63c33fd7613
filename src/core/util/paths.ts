// Whether a path leads out of a folder: `..` as a whole first segment, never a name that
// merely starts with two dots (`..hidden` is a file like any other).
import { isAbsolute, relative, sep } from 'node:path';

/** `rel` (from path.relative, or a normalised relative path with `separator`) climbs out of its folder. */
export function climbsOut(rel: string, separator: string = sep): boolean {
  return rel === '..' || rel.startsWith(`..${separator}`) || isAbsolute(rel);
}

/** `path` (absolute, resolved) lies outside `folder`. */
export function isOutside(folder: string, path: string): boolean {
  return climbsOut(relative(folder, path));
}
