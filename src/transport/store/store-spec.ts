import { isAbsolute, join, resolve } from 'node:path';
import { TgfsError } from '../../errors.js';

/** Which `MessageStore` adapter a home uses, as written in config or on the command line. */
export type StoreSpec =
  | { readonly kind: 'local'; readonly dir: string }
  | { readonly kind: 'memory' }
  | { readonly kind: 'telegram' };

/**
 * Parses `local:DIR`, `memory` or `telegram`. A relative DIR is resolved against `baseDir` (the home, or the
 * working directory), so the same spec means the same folder whichever directory a command runs from.
 */
export function parseStoreSpec(text: string, baseDir: string = process.cwd()): StoreSpec {
  const spec = typeof text === 'string' ? text.trim() : '';
  if (spec === 'memory') return { kind: 'memory' };
  if (spec === 'telegram') return { kind: 'telegram' };
  if (spec.startsWith('local:')) {
    const dir = spec.slice('local:'.length);
    if (dir === '')
      throw new TgfsError('CONFIG_INVALID', `store "${text}" names no directory: write local:DIR`);
    if (dir.includes('\0'))
      throw new TgfsError('CONFIG_INVALID', `store directory ${JSON.stringify(dir)} contains a NUL byte`);
    return { kind: 'local', dir: isAbsolute(dir) ? resolve(dir) : resolve(baseDir, dir) };
  }
  throw new TgfsError(
    'CONFIG_INVALID',
    `unknown store ${JSON.stringify(text)}: expected local:DIR, memory or telegram`,
  );
}

export function formatStoreSpec(spec: StoreSpec): string {
  return spec.kind === 'local' ? `local:${spec.dir}` : spec.kind;
}

/** The store a new home gets when none is configured: `$TGCRYPTFS_HOME/store`. */
export function defaultStoreSpec(home: string): StoreSpec {
  return { kind: 'local', dir: join(resolve(home), 'store') };
}
