import type { UnlockedHome } from '../home/home.js';
import { type OpenSyncOptions, openSync, type SyncSession } from '../home/sync-service.js';
import { TgfsCommand } from './tgfs-command.js';

/**
 * Base of the `sync` commands: while a mount of this home runs it holds the log, so the command asks it over
 * the control socket; with none running it opens the home and does the work itself.
 */
export abstract class SyncCommand extends TgfsCommand {
  protected async withSync<T>(
    run: (home: UnlockedHome, sync: SyncSession) => Promise<T>,
    opts: OpenSyncOptions = {},
  ): Promise<T> {
    const home = await this.unlock();
    try {
      const sync = await openSync(home, opts);
      try {
        return await run(home, sync);
      } finally {
        await sync.close();
      }
    } finally {
      await home.close();
    }
  }
}
