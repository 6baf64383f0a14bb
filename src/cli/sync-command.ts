import { access } from 'node:fs/promises';
import { ControlUnavailableError, callControl } from '../transport/control-client.js';
import type { UnlockedHome } from './home.js';
import { type OpenSyncOptions, openSync, type SyncSession } from './sync-service.js';
import { TgfsCommand } from './tgfs-command.js';

/**
 * Base of the `sync` commands: while a mount of this home runs it holds the log, so the command asks it over
 * the control socket; with none running it opens the home and does the work itself.
 */
export abstract class SyncCommand extends TgfsCommand {
  /** The mount's answer, or undefined when no mount answers on the control socket. */
  protected async viaMount(method: string, params: unknown = {}): Promise<unknown> {
    const socket = this.home().controlSocket;
    try {
      await access(socket);
    } catch {
      return undefined;
    }
    try {
      return await callControl(socket, method, params);
    } catch (err) {
      if (err instanceof ControlUnavailableError) return undefined;
      throw err;
    }
  }

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
