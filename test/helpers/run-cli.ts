import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The repository's bin/tgcryptfs, run exactly as a user runs it. */
export const BIN = fileURLToPath(new URL('../../../bin/tgcryptfs', import.meta.url));

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Small KDF parameters keep tests fast; production defaults are tested in the crypto unit tests. */
export const FAST_KDF = ['--kdf-memory-mb', '8', '--kdf-iterations', '1'];

export function runCli(
  args: readonly string[],
  env: Record<string, string | undefined>,
  opts: { timeoutMs?: number; input?: string } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { PATH: process.env['PATH'], HOME: process.env['HOME'], ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
      timeout: opts.timeoutMs ?? 60_000,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(opts.input ?? '');
  });
}
