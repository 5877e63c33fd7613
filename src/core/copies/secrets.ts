// Secrets are resolved at print time, from the printer's environment or a file beside
// the master copy, and handed to the copy as environment variables — never to the build.
import { realpath, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { MasterCopy } from '../mastercopy/model';
import { setOwn } from '../util/ownProperty';
import { isOutside } from '../util/paths';
import { decodeUtf8, describeNotUtf8 } from '../util/utf8';
import { checkRegularFile, HostFileError, MIB, readRegularFileSync } from '../util/hostFile';
import { SecretError } from './errors';

/** Reads a host file as text; rejects (or throws) when it cannot. */
export type ReadTextFile = (absolutePath: string) => Promise<string> | string;

/** A key, a token, a certificate chain: never more than this (an environment variable holds far less). */
export const MAX_SECRET_FILE_BYTES = MIB;

/** The reader to pass in: a regular file only (no FIFO, no device), at most MAX_SECRET_FILE_BYTES, UTF-8 text. */
export const nodeReadSecretFile: ReadTextFile = (path) => {
  const { text, notUtf8 } = decodeUtf8(
    readRegularFileSync(path, { maxBytes: MAX_SECRET_FILE_BYTES }),
  );
  // A value with U+FFFD in place of what was written would be a wrong secret, silently.
  if (notUtf8)
    throw new HostFileError(
      `${describeNotUtf8(notUtf8)}; a secret is read as UTF-8 text`,
      'not-utf8',
    );
  return text;
};

/**
 * The value of every secret of `mc`, by variable name. All missing secrets are reported
 * together (SecretError, names only) so that one run shows everything to fix.
 * A file's single trailing line break is dropped: `echo secret > file` means "secret".
 */
export async function resolveSecrets(
  mc: MasterCopy,
  folder: string,
  env: Readonly<Record<string, string | undefined>>,
  readFile: ReadTextFile,
): Promise<Record<string, string>> {
  const values: Record<string, string> = {};
  const problems: { secret: string; problem: string }[] = [];
  for (const secret of mc.secrets ?? []) {
    let value: string | undefined;
    if (secret.fromEnv !== undefined) {
      value = env[secret.fromEnv];
      if (value === undefined || value === '') {
        problems.push({
          secret: secret.name,
          problem: `the environment variable ${secret.fromEnv} is ${value === undefined ? 'not set' : 'empty'}`,
        });
        continue;
      }
    } else if (secret.fromFile !== undefined) {
      const named = resolve(folder, secret.fromFile);
      // Where it really leads: a link inside the folder (committed, or swapped in after
      // validation) can point out of it, and the name alone was all that was checked
      // (test/unit/hostile/ found this). The real path is what is then read.
      const path = (await realpath(named).catch(() => undefined)) ?? named;
      const realFolder = (await realpath(folder).catch(() => undefined)) ?? folder;
      if (isOutside(folder, named) || isOutside(realFolder, path)) {
        problems.push({
          secret: secret.name,
          problem: `${secret.fromFile} ${isOutside(folder, named) ? 'is' : 'leads'} outside the master copy's folder`,
        });
        continue;
      }
      try {
        // Checked whatever reader was passed in: a link to /dev/zero or a FIFO is never read.
        checkRegularFile(await stat(path), MAX_SECRET_FILE_BYTES);
        value = (await readFile(path)).replace(/\r?\n$/, '');
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        const why =
          e instanceof HostFileError
            ? `: ${e.message}`
            : code === 'ENOENT'
              ? ': no such file'
              : code
                ? ` (${code})`
                : '';
        problems.push({ secret: secret.name, problem: `cannot read ${secret.fromFile}${why}` });
        continue;
      }
      if (value === '') {
        problems.push({ secret: secret.name, problem: `${secret.fromFile} is empty` });
        continue;
      }
    } else {
      problems.push({
        secret: secret.name,
        problem: 'neither fromEnv nor fromFile says where it comes from',
      });
      continue;
    }
    if (value.includes('\0')) {
      problems.push({
        secret: secret.name,
        problem: 'the value contains a NUL character, which an environment variable cannot hold',
      });
      continue;
    }
    setOwn(values, secret.name, value);
  }
  if (problems.length) throw new SecretError(problems);
  return values;
}
