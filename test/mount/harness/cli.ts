/** Runs the built CLI (`node bin/tgcryptfs …` from the repository root) the way a user would. */
import { fileURLToPath } from 'node:url';
import { q, type ShResult, sh, shOk } from './sh.js';

/** dist/test/mount/harness/ is four levels below the repository root. */
export const REPO_ROOT = fileURLToPath(new URL('../../../..', import.meta.url)).replace(/\/$/, '');
/** TGFS_MOUNT_TEST_CLI runs the suite against a stand-in CLI script (used to prove the harness itself). */
export const CLI = process.env['TGFS_MOUNT_TEST_CLI'] ?? `${REPO_ROOT}/bin/tgcryptfs`;

export interface HomeEnv {
  readonly home: string;
  readonly password: string;
}

export function cliEnv(env: HomeEnv): NodeJS.ProcessEnv {
  return { TGCRYPTFS_HOME: env.home, TGCRYPTFS_PASSWORD: env.password };
}

export function runCli(env: HomeEnv, args: readonly string[], timeoutMs = 120_000): Promise<ShResult> {
  const cmd = [q(process.execPath), q(CLI), ...args.map(q)].join(' ');
  return sh(cmd, { cwd: REPO_ROOT, env: cliEnv(env), timeoutMs });
}

async function runCliOk(env: HomeEnv, args: readonly string[]): Promise<string> {
  const cmd = [q(process.execPath), q(CLI), ...args.map(q)].join(' ');
  return shOk(cmd, { cwd: REPO_ROOT, env: cliEnv(env) });
}

/** `tgcryptfs machine init --name test` with TGCRYPTFS_HOME and TGCRYPTFS_PASSWORD set. */
export async function initHome(home: string, password: string): Promise<void> {
  await runCliOk({ home, password }, ['machine', 'init', '--name', 'test']);
}

/** `tgcryptfs namespace create NAME --type standalone`. */
export async function createNamespace(env: HomeEnv, name: string, type = 'standalone'): Promise<void> {
  await runCliOk(env, ['namespace', 'create', name, '--type', type]);
}
