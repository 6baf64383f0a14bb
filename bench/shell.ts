/**
 * Child processes for the benchmarks. Every touch of a mount point goes through a child (dd, cp, tar, ls,
 * find): the bench process never does file I/O on a FUSE mount, even one it does not serve.
 */
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';

export interface ShResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly seconds: number;
}

export interface ShOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  /** Kills the child (and its process group) when it runs longer; default 20 minutes. */
  readonly timeoutMs?: number;
}

/** Single-quotes a word for bash. */
export function q(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Runs a bash script and measures its wall time; never throws on a non-zero exit. */
export function sh(script: string, opts: ShOptions = {}): Promise<ShResult> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn('bash', ['-c', script], {
      cwd: opts.cwd,
      env: { ...process.env, ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const timer = setTimeout(() => {
      stderr += `\n[bench] killed after ${opts.timeoutMs ?? DEFAULT_TIMEOUT_MS} ms`;
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }, opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      resolve({ code, stdout, stderr, seconds });
    });
  });
}

const DEFAULT_TIMEOUT_MS = 20 * 60_000;

/** Like `sh`, but a non-zero exit is an error naming the script and its stderr. */
export async function shOk(script: string, opts: ShOptions = {}): Promise<ShResult> {
  const r = await sh(script, opts);
  if (r.code !== 0) {
    throw new Error(`\`${script}\` exited with ${r.code}: ${r.stderr.trim().slice(-2000)}`);
  }
  return r;
}

export async function hasCommand(name: string): Promise<boolean> {
  return (await sh(`command -v ${q(name)}`)).code === 0;
}

/**
 * Writes back dirty pages and drops the page, dentry and inode caches, so the next read comes from disk.
 * Needs root; returns false when the kernel refused (the caller then says the read was not cold).
 */
export async function dropCaches(): Promise<boolean> {
  await sh('sync');
  try {
    await writeFile('/proc/sys/vm/drop_caches', '3');
    return true;
  } catch {
    return false;
  }
}

export function log(line: string): void {
  process.stderr.write(`[bench] ${line}\n`);
}
