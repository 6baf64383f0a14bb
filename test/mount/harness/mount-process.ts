/**
 * A `tgcryptfs mount` child process. Readiness protocol: the CLI prints exactly `mounted <mountpoint>` (the
 * absolute path it was given) on a line of its own on stdout once the kernel mount answers; tests wait for
 * that line, never for a sleep. SIGTERM asks it to unmount and exit 0.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { CLI, cliEnv, REPO_ROOT } from './cli.js';
import { forceUnmount, fuseMountAt } from './fuse-mounts.js';

export interface StartMountOptions {
  readonly home: string;
  readonly password: string;
  readonly mountpoint: string;
  readonly namespace?: string;
  readonly extraArgs?: readonly string[];
  /** Added to the mount process's environment. */
  readonly env?: NodeJS.ProcessEnv;
  /** Default 60 s: the first mount derives keys (Argon2id) and replays the log. */
  readonly readyTimeoutMs?: number;
}

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface MountHandle {
  readonly mountpoint: string;
  readonly child: ChildProcess;
  /** Everything the mount process printed so far. */
  stdout(): string;
  stderr(): string;
  readonly exited: Promise<Exit>;
  isRunning(): boolean;
  /** The FUSE connection this process serves (from mountinfo once ready), so cleanup never hits a newer mount. */
  minor(): number | undefined;
}

export function startMount(opts: StartMountOptions): Promise<MountHandle> {
  const args = [CLI, 'mount'];
  if (opts.namespace !== undefined) args.push('--namespace', opts.namespace);
  args.push(...(opts.extraArgs ?? []), opts.mountpoint);
  const child = spawn(process.execPath, args, {
    cwd: REPO_ROOT,
    env: { ...process.env, ...cliEnv(opts), ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  let running = true;
  let minor: number | undefined;
  const exited = new Promise<Exit>((done) => {
    child.on('exit', (code, signal) => {
      running = false;
      done({ code, signal });
    });
  });
  const handle: MountHandle = {
    mountpoint: opts.mountpoint,
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    isRunning: () => running,
    minor: () => minor,
  };
  const readyLine = `mounted ${opts.mountpoint}`;
  const timeoutMs = opts.readyTimeoutMs ?? 60_000;

  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (why: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      const detail = `${why}\ncommand: node ${args.join(' ')}\n--- stdout\n${out}\n--- stderr\n${err}`;
      void stopMount(handle).finally(() => reject(new Error(detail)));
    };
    const timer = setTimeout(
      () => fail(`mount did not print "${readyLine}" within ${timeoutMs} ms`),
      timeoutMs,
    );
    child.stderr?.on('data', (b: Buffer) => {
      err += b.toString();
    });
    child.stdout?.on('data', (b: Buffer) => {
      out += b.toString();
      if (!settled && out.split('\n').includes(readyLine)) {
        settled = true;
        clearTimeout(timer);
        void fuseMountAt(opts.mountpoint).then((m) => {
          minor = m?.minor;
          resolve(handle);
        }, reject);
      }
    });
    child.on('error', (e) => fail(`could not start the mount process: ${e.message}`));
    void exited.then((e) => fail(`mount process exited (${e.code ?? e.signal}) before it was ready`));
  });
}

/**
 * Stops a mount: SIGTERM and wait; SIGKILL if it does not exit in time; then, if the kernel mount is still
 * there (the process died, or hangs), abort the FUSE connection and detach it. Resolves with the exit.
 */
export async function stopMount(handle: MountHandle, timeoutMs = 30_000): Promise<Exit> {
  if (handle.isRunning()) {
    handle.child.kill('SIGTERM');
    const exited = await Promise.race([handle.exited, delay(timeoutMs).then(() => undefined)]);
    if (!exited) handle.child.kill('SIGKILL');
  }
  const exit = await handle.exited;
  await forceUnmount(handle.mountpoint, handle.minor());
  return exit;
}

/** kill -9 the mount process, as a crash would, and wait until it is gone. The dead mount stays behind. */
export async function crashMount(handle: MountHandle): Promise<Exit> {
  handle.child.kill('SIGKILL');
  return handle.exited;
}

function delay(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms).unref());
}
