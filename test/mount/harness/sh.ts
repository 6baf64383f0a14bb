/**
 * Runs shell commands in child processes with a timeout. Mount tests touch a mount only this way: the test
 * process never blocks on a possibly hung FUSE mount, and a stuck child is killed with its process group.
 */
import { spawn } from 'node:child_process';

export interface ShResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;
}

export interface ShOptions {
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Default 120 s: generous for 2-core CI, still ends a run that hangs on a dead mount. */
  readonly timeoutMs?: number;
}

export function sh(cmd: string, opts: ShOptions = {}): Promise<ShResult> {
  const timeoutMs = opts.timeoutMs ?? 120_000;
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', cmd], {
      cwd: opts.cwd,
      env: { ...process.env, LC_ALL: 'C', TZ: 'UTC', ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child.pid);
    }, timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({
        code,
        signal,
        stdout: Buffer.concat(out).toString(),
        stderr: Buffer.concat(err).toString(),
        timedOut,
      });
    });
  });
}

/** Like sh, but a non-zero exit (or a timeout) throws with the command, its stdout and stderr. */
export async function shOk(cmd: string, opts: ShOptions = {}): Promise<string> {
  const r = await sh(cmd, opts);
  if (r.code !== 0) {
    const why = r.timedOut ? 'timed out' : `exited with ${r.code ?? r.signal}`;
    throw new Error(`command ${why}: ${cmd}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`);
  }
  return r.stdout;
}

/** Single-quotes a string for bash. */
export function q(s: string): string {
  return `'${s.replaceAll("'", "'\\''")}'`;
}

export async function hasCommand(name: string): Promise<boolean> {
  return (await sh(`command -v ${q(name)}`, { timeoutMs: 10_000 })).code === 0;
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
}
