import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { Command, Option } from 'clipanion';
import { TgfsError } from '../../errors.js';
import { findMount, forgetMount } from '../../home/mount-registry.js';
import { TgfsCommand } from '../tgfs-command.js';

const run = promisify(execFile);

export class UnmountCommand extends TgfsCommand {
  static override paths = [['unmount'], ['umount']];
  static override usage = Command.Usage({
    description: 'Unmount a mounted namespace (its process commits, pushes and exits)',
  });

  mountpoint = Option.String({ required: true });

  async run(): Promise<number> {
    const mountpoint = resolve(this.mountpoint);
    const record = await findMount(this.home(), mountpoint);
    if (record !== undefined && isAlive(record.pid)) {
      process.kill(record.pid, 'SIGTERM');
      for (let waited = 0; isAlive(record.pid); waited += 100) {
        if (waited > 60_000)
          throw new TgfsError('MOUNT_FAILED', `process ${record.pid} serving ${mountpoint} did not stop`);
        await new Promise((r) => setTimeout(r, 100));
      }
      this.print(`unmounted ${mountpoint}`);
      return 0;
    }
    await forgetMount(this.home(), mountpoint);
    try {
      await run('fusermount', ['-u', mountpoint]);
    } catch (err) {
      const stderr = String((err as { stderr?: string }).stderr ?? '').trim();
      throw new TgfsError(
        'MOUNTPOINT_INVALID',
        `cannot unmount ${mountpoint}: ${stderr || (err as Error).message}`,
      );
    }
    this.print(`unmounted ${mountpoint}`);
    return 0;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
