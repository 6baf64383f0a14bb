/**
 * Mounting and unmounting the filesystems under test, all through child processes, with a registry of what
 * is mounted so that every exit path (a failed benchmark, Ctrl-C) unmounts everything it mounted.
 */
import { spawn } from 'node:child_process';
import { openSync } from 'node:fs';
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BENCH_PASSWORD, BIN } from './paths.js';
import { log, q, sh, shOk } from './shell.js';

type Kind = 'tgcryptfs' | 'gocryptfs';

interface Active {
  readonly kind: Kind;
  readonly mountpoint: string;
  readonly home?: string;
}

const active = new Map<string, Active>();

const NODE = q(process.execPath);

function env(home: string): NodeJS.ProcessEnv {
  return { TGCRYPTFS_HOME: home, TGCRYPTFS_PASSWORD: BENCH_PASSWORD };
}

/** A new machine with the small KDF the tests use: unlock cost is measured on its own, in the event group. */
export async function tgcryptfsInit(home: string): Promise<void> {
  await shOk(`${NODE} ${q(BIN)} machine init --name bench --kdf-memory-mb 8 --kdf-iterations 1`, {
    env: env(home),
  });
}

/** `tgcryptfs mount --daemon`, which returns once it printed `mounted MOUNTPOINT`. */
export async function tgcryptfsMount(home: string, mountpoint: string, profileDir?: string): Promise<void> {
  await shOk(`mkdir -p ${q(mountpoint)}`);
  active.set(mountpoint, { kind: 'tgcryptfs', mountpoint, home });
  if (profileDir !== undefined) return profiledMount(home, mountpoint, profileDir);
  const r = await shOk(`${NODE} ${q(BIN)} mount --daemon ${q(mountpoint)}`, {
    env: env(home),
    timeoutMs: 5 * 60_000,
  });
  if (!r.stdout.includes(`mounted ${mountpoint}`)) {
    throw new Error(`tgcryptfs mount printed no readiness line: ${r.stdout} ${r.stderr}`);
  }
}

/**
 * `--daemon` does not pass node flags on, and node refuses --cpu-prof in NODE_OPTIONS, so a profiled mount is
 * the foreground `mount` under `node --cpu-prof`, detached here the way `--daemon` detaches it. `unmount`
 * stops it the same way (SIGTERM to the pid it recorded); the profile is written as it exits.
 */
async function profiledMount(home: string, mountpoint: string, profileDir: string): Promise<void> {
  await mkdir(join(home, 'logs'), { recursive: true });
  const child = spawn(
    process.execPath,
    ['--cpu-prof', `--cpu-prof-dir=${profileDir}`, BIN, 'mount', mountpoint],
    {
      detached: true,
      stdio: ['ignore', 'pipe', openSync(join(home, 'logs', 'mount.log'), 'a')],
      env: { ...process.env, ...env(home) },
    },
  );
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes(`mounted ${mountpoint}`)) {
        child.stdout!.destroy();
        child.removeAllListeners('exit');
        child.unref();
        resolve();
      }
    });
    child.on('exit', (code) =>
      reject(new Error(`profiled tgcryptfs mount exited with ${code}; see ${home}/logs`)),
    );
  });
}

/** `tgcryptfs unmount`: the daemon commits, pushes to the store and exits. Returns the seconds it took. */
export async function tgcryptfsUnmount(home: string, mountpoint: string): Promise<number> {
  const r = await sh(`${NODE} ${q(BIN)} unmount ${q(mountpoint)}`, {
    env: env(home),
    timeoutMs: 15 * 60_000,
  });
  if (r.code !== 0) {
    log(`unmount ${mountpoint} failed (${r.stderr.trim()}); waiting for the daemon, then forcing`);
    await forceTgcryptfs(home, mountpoint);
  }
  active.delete(mountpoint);
  return r.seconds;
}

/** The pids of the mount daemons serving `home` (from its mounts/ records). */
export async function daemonPids(home: string): Promise<number[]> {
  const dir = join(home, 'mounts');
  const names = await readdir(dir).catch(() => [] as string[]);
  const pids: number[] = [];
  for (const n of names) {
    try {
      const rec = JSON.parse(await readFile(join(dir, n), 'utf8')) as { pid?: unknown };
      if (typeof rec.pid === 'number') pids.push(rec.pid);
    } catch {
      // a half-written record: nothing to stop
    }
  }
  return pids;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Gives a slow daemon time to finish its push, then kills it (it is ours) and detaches the mount lazily. */
async function forceTgcryptfs(home: string, mountpoint: string, graceMs = 10 * 60_000): Promise<void> {
  for (const pid of await daemonPids(home)) {
    for (let waited = 0; alive(pid) && waited < graceMs; waited += 500)
      await new Promise((r) => setTimeout(r, 500));
    if (alive(pid)) {
      log(`killing tgcryptfs daemon ${pid}`);
      process.kill(pid, 'SIGKILL');
    }
  }
  await lazyUnmount(mountpoint);
}

async function lazyUnmount(mountpoint: string): Promise<void> {
  if (await isMounted(mountpoint)) await sh(`fusermount -u -z ${q(mountpoint)}`);
}

/** Reads /proc/self/mountinfo, which never touches the mount itself. */
export async function isMounted(mountpoint: string): Promise<boolean> {
  return (await mountsUnder(mountpoint)).includes(mountpoint);
}

async function mountsUnder(root: string): Promise<string[]> {
  const text = await readFile('/proc/self/mountinfo', 'utf8');
  return text
    .split('\n')
    .map((l) => l.split(' ')[4] ?? '')
    .map((f) => f.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(Number.parseInt(o, 8))))
    .filter((m) => m === root || m.startsWith(`${root}/`));
}

export async function gocryptfsInit(cipherDir: string): Promise<void> {
  await shOk(
    `mkdir -p ${q(cipherDir)} && gocryptfs -q -init -extpass 'echo ${BENCH_PASSWORD}' -scryptn 10 ${q(cipherDir)}`,
  );
}

/** gocryptfs forks into the background and returns once the mount is up. */
export async function gocryptfsMount(cipherDir: string, mountpoint: string): Promise<void> {
  await shOk(`mkdir -p ${q(mountpoint)}`);
  active.set(mountpoint, { kind: 'gocryptfs', mountpoint });
  await shOk(`gocryptfs -q -extpass 'echo ${BENCH_PASSWORD}' ${q(cipherDir)} ${q(mountpoint)}`, {
    timeoutMs: 60_000,
  });
}

export async function gocryptfsUnmount(mountpoint: string): Promise<void> {
  for (let attempt = 0; attempt < 10 && (await isMounted(mountpoint)); attempt++) {
    if ((await sh(`fusermount -u ${q(mountpoint)}`)).code === 0) break;
    await new Promise((r) => setTimeout(r, 300 * (attempt + 1)));
  }
  await lazyUnmount(mountpoint);
  active.delete(mountpoint);
}

/** Unmounts everything this run mounted, whatever state it is in; safe to call more than once. */
export async function cleanupAllMounts(): Promise<void> {
  for (const m of [...active.values()]) {
    try {
      if (m.kind === 'tgcryptfs' && m.home !== undefined) {
        if (await isMounted(m.mountpoint)) await tgcryptfsUnmount(m.home, m.mountpoint);
        else await forceTgcryptfs(m.home, m.mountpoint, 5_000);
      } else await gocryptfsUnmount(m.mountpoint);
    } catch (err) {
      log(`cleanup of ${m.mountpoint} failed: ${(err as Error).message}`);
      await lazyUnmount(m.mountpoint).catch(() => undefined);
    }
    active.delete(m.mountpoint);
  }
}

/** The safety net after a run: any FUSE mount left under the work directory is detached. */
export async function detachLeftovers(root: string): Promise<string[]> {
  const left = await mountsUnder(root);
  for (const m of left.reverse()) await sh(`fusermount -u -z ${q(m)}`);
  return left;
}
