/**
 * One temp root, home and mount point per describe(), with hooks that always unmount: call mountSuite()
 * inside a describe() and use `suite.start()` / `suite.remount()`. `after` stops every mount this suite
 * started, fails the run if any FUSE mount is left under the root, then deletes the root.
 */
import { mkdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { createNamespace, initHome } from './cli.js';
import { assertNoLeftoverMounts } from './fuse-mounts.js';
import { type Exit, type MountHandle, startMount, stopMount } from './mount-process.js';
import { q, shOk } from './sh.js';

export const TEST_PASSWORD = 'correct horse battery staple';

export interface MountSuite {
  /** Temp root holding home/, mnt/ and plain/ (a scratch directory on a normal filesystem). */
  readonly root: string;
  readonly home: string;
  readonly password: string;
  readonly mountpoint: string;
  readonly plain: string;
  readonly namespace: string | undefined;
  /** The running mount; throws when none runs. */
  readonly mount: MountHandle;
  /** Starts the mount; `env` is added to its environment, and kept for later remounts. */
  start(extraArgs?: readonly string[], env?: NodeJS.ProcessEnv): Promise<MountHandle>;
  stop(): Promise<Exit>;
  remount(): Promise<MountHandle>;
}

export function mountSuite(opts: { name: string; namespace?: string }): MountSuite {
  let root = '';
  let current: MountHandle | undefined;
  let mountEnv: NodeJS.ProcessEnv | undefined;
  const all = new Set<MountHandle>();

  const suite: MountSuite = {
    get root() {
      return root;
    },
    get home() {
      return join(root, 'home');
    },
    password: TEST_PASSWORD,
    get mountpoint() {
      return join(root, 'mnt');
    },
    get plain() {
      return join(root, 'plain');
    },
    namespace: opts.namespace,
    get mount() {
      if (!current) throw new Error('no mount is running');
      return current;
    },
    async start(extraArgs = [], env = mountEnv) {
      if (current?.isRunning()) throw new Error('a mount is already running');
      mountEnv = env;
      current = await startMount({
        home: suite.home,
        password: suite.password,
        mountpoint: suite.mountpoint,
        ...(opts.namespace === undefined ? {} : { namespace: opts.namespace }),
        extraArgs,
        ...(env === undefined ? {} : { env }),
      });
      all.add(current);
      return current;
    },
    async stop() {
      const handle = suite.mount;
      const exit = await stopMount(handle);
      all.delete(handle);
      current = undefined;
      return exit;
    },
    async remount() {
      await suite.stop();
      return suite.start();
    },
  };

  before(async () => {
    root = await mkdtemp(join(tmpdir(), `tgfs-mount-${opts.name}-`));
    await mkdir(suite.home);
    await mkdir(suite.mountpoint);
    await mkdir(suite.plain);
    await initHome(suite.home, suite.password);
    if (opts.namespace !== undefined) await createNamespace(suite, opts.namespace);
  });

  after(async () => {
    // Live mounts first: a dead handle's cleanup must not race a running one at the same path.
    const handles = [...all].sort((a, b) => Number(b.isRunning()) - Number(a.isRunning()));
    for (const handle of handles) await stopMount(handle).catch(() => undefined);
    all.clear();
    current = undefined;
    if (root === '') return;
    await assertNoLeftoverMounts(root);
    // Only reached with nothing mounted under root, so rm cannot walk into a live mount.
    await shOk(`rm -rf ${q(root)}`);
  });

  return suite;
}
