// The repository's root, from a test bundle under out/.
import { dirname } from 'node:path';

export function repoRoot(): string {
  let dir = __dirname;
  while (!dir.endsWith('/out') && dirname(dir) !== dir) dir = dirname(dir);
  return dirname(dir);
}
