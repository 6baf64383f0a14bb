import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/** Where a home keeps each of its parts (design.md, "Home layout"). */
export interface HomePaths {
  readonly root: string;
  readonly config: string;
  readonly db: string;
  readonly cache: string;
  readonly store: string;
  readonly controlSocket: string;
  readonly telegramSession: string;
  readonly logs: string;
}

export function homePaths(
  root: string = process.env['TGCRYPTFS_HOME'] ?? join(homedir(), '.tgcryptfs'),
): HomePaths {
  const r = resolve(root);
  return {
    root: r,
    config: join(r, 'config.yaml'),
    db: join(r, 'db'),
    cache: join(r, 'cache'),
    store: join(r, 'store'),
    controlSocket: join(r, 'control.sock'),
    telegramSession: join(r, 'telegram.session'),
    logs: join(r, 'logs'),
  };
}
