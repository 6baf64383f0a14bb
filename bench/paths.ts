import { fileURLToPath } from 'node:url';

/** dist/bench/ is two levels below the repository root. */
export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url)).replace(/\/$/, '');
/** The CLI exactly as a user runs it. */
export const BIN = `${REPO_ROOT}/bin/tgcryptfs`;
export const BENCH_PASSWORD = 'pw';
