import { spawn } from 'node:child_process';
import { fstatSync, openSync, writeSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Command, Option } from 'clipanion';
import { startMountSession } from '../../home/mount-session.js';
import { PASSWORD_ON_STDIN, readPassword } from '../password.js';
import { TgfsCommand } from '../tgfs-command.js';

/**
 * V8's heap for a long-lived daemon whose live data (the projection) grows with the tree: a young generation of
 * 8 MB semi-spaces instead of 16, and an old generation let grow to 1.3 times what the last full collection kept
 * instead of V8's adaptive factor (up to 4). Making 20k files: a peak about 70 MB lower for the same CPU.
 */
const DAEMON_NODE_FLAGS = ['--max-semi-space-size=8', '--heap-growing-percent=30'];

/** Printed on stdout once the kernel mount is up: scripts and tests wait for this line, never for a sleep. */
export const READY_PREFIX = 'mounted ';

export class MountCommand extends TgfsCommand {
  static override paths = [['mount']];
  static override usage = Command.Usage({
    description: 'Mount a namespace as an encrypted filesystem',
    details: `
      Runs in the foreground until SIGINT or SIGTERM (or \`tgcryptfs unmount MOUNTPOINT\`), which commit buffered
      writes, push pending work to the store and unmount cleanly. \`--daemon\` returns once the mount is ready
      and leaves it running in the background (log in \`$TGCRYPTFS_HOME/logs/\`).
      Without \`--namespace\`, mounts \`default\` (created on first use when the cluster has no namespace yet).
    `,
    examples: [['Mount the default namespace', 'tgcryptfs mount ~/vault']],
  });

  namespace = Option.String('--namespace,-n', { description: 'Namespace name or id (default: default)' });
  daemon = Option.Boolean('--daemon,-d', false, { description: 'Detach once the mount is ready' });
  readOnly = Option.Boolean('--read-only', false, { description: 'Mount read-only' });
  debug = Option.Boolean('--debug', false, { description: 'Log every FUSE call' });
  allowOther = Option.Boolean('--allow-other', false, {
    description:
      'Let users other than the mounting one in (non-root needs user_allow_other in /etc/fuse.conf)',
  });
  mountpoint = Option.String({ required: true });

  async run(): Promise<number> {
    return this.daemon ? this.detach() : this.serve();
  }

  private async serve(): Promise<number> {
    const mountpoint = resolve(this.mountpoint);
    const log = mountLog();
    const home = await this.unlock();
    try {
      const mounted = await startMountSession(home, {
        mountpoint,
        readOnly: this.readOnly,
        debug: this.debug,
        allowOther: this.allowOther,
        log,
        ...(this.namespace === undefined ? {} : { namespace: this.namespace }),
      });
      // Listen before announcing readiness: a SIGTERM sent right after the line must unmount, not kill.
      const stopped = waitForStopSignal();
      this.print(`${READY_PREFIX}${mountpoint}`);
      await stopped;
      await mounted.stop();
      return 0;
    } finally {
      await home.close();
    }
  }

  /** Starts the same command in the foreground as a detached child and returns once it printed readiness. */
  private async detach(): Promise<number> {
    const paths = this.home();
    await mkdir(paths.logs, { recursive: true });
    const logFile = join(paths.logs, 'mount.log');
    const args = process.argv.slice(1).filter((a) => a !== '--daemon' && a !== '-d');
    // Ask here, where the terminal is: the detached child has none. It reads the password from a pipe, so it
    // never sits in the daemon's environment.
    const password = await readPassword({ passwordFile: this.passwordFile });
    const env: NodeJS.ProcessEnv = { ...process.env, [PASSWORD_ON_STDIN]: '1' };
    delete env['TGCRYPTFS_PASSWORD'];
    // glibc raises its mmap threshold each time a large block is freed, after which the buffers a mount churns
    // through (written blocks, chunks staged) come from arenas that rarely shrink: resident memory then grows far
    // past what is live. A fixed threshold keeps large buffers mmapped and returned at once (about 190 MB less
    // at the peak of a 1 GiB write). Only a new process can be given it, so the daemon is.
    env['MALLOC_MMAP_THRESHOLD_'] ??= String(256 * 1024);
    const child = spawn(process.execPath, [...DAEMON_NODE_FLAGS, ...args], {
      detached: true,
      stdio: ['pipe', 'pipe', openSync(logFile, 'a')],
      env,
    });
    child.stdin!.end(`${password}\n`);
    return new Promise<number>((done) => {
      let out = '';
      child.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const line = out.split('\n').find((l) => l.startsWith(READY_PREFIX));
        if (line !== undefined) {
          this.print(line);
          child.stdout!.destroy();
          child.unref();
          done(0);
        }
      });
      child.on('exit', (code) => {
        this.context.stderr.write(`tgcryptfs: the mount process exited with code ${code}; see ${logFile}\n`);
        done(code ?? 1);
      });
    });
  }
}

/**
 * The mount's log on stderr, which for a daemon is a file in the home. On a full disk its lines are dropped:
 * Node reports a failed write to stderr as an 'error' event, which unhandled would end the process and leave
 * a dead mount behind ("Transport endpoint is not connected").
 */
function mountLog(): (line: string) => void {
  process.stderr.on('error', () => undefined);
  let toFile = false;
  try {
    toFile = fstatSync(2).isFile();
  } catch {
    // no stderr at all: the stream's own handling applies
  }
  return (line) => {
    const text = `tgcryptfs: ${line}\n`;
    if (!toFile) {
      process.stderr.write(text);
      return;
    }
    try {
      // Written directly, so that lines come back once space is freed (the stream stays errored).
      writeSync(2, text);
    } catch {
      // dropped: the disk holding the log is full
    }
  };
}

function waitForStopSignal(): Promise<void> {
  return new Promise((done) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      done();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
