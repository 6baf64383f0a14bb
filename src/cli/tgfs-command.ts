import { access } from 'node:fs/promises';
import { Command, Option } from 'clipanion';
import { type HomePaths, homePaths } from '../config/home-paths.js';
import { isTgfsError } from '../errors.js';
import { ControlUnavailableError, callControl } from '../home/control/control-client.js';
import { type UnlockedHome, unlockHome } from '../home/home.js';
import { exitCodeOf } from './exit-codes.js';
import { readPassword } from './password.js';

/**
 * Base of every command: a user-caused failure (a TgfsError) prints one line and exits with its documented
 * code; anything else is a crash and keeps its stack.
 */
export abstract class TgfsCommand extends Command {
  passwordFile = Option.String('--password-file', { description: 'Read the master password from this file' });

  abstract run(): Promise<number | undefined>;

  async execute(): Promise<number> {
    try {
      return (await this.run()) ?? 0;
    } catch (err) {
      if (isTgfsError(err)) {
        this.context.stderr.write(`tgcryptfs: ${err.message}\n`);
        return exitCodeOf(err.code);
      }
      throw err;
    }
  }

  protected home(): HomePaths {
    return homePaths();
  }

  /** Opens the home with the password, runs `work`, closes it. */
  protected async withHome<T>(work: (home: UnlockedHome) => Promise<T>): Promise<T> {
    const home = await this.unlock();
    try {
      return await work(home);
    } finally {
      await home.close();
    }
  }

  /**
   * While a mount of this home runs it holds the log (LevelDB admits one process), so commands ask it over
   * its control socket. Resolves with its answer, or undefined when no mount answers.
   */
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

  protected async unlock(): Promise<UnlockedHome> {
    const paths = this.home();
    const password = await readPassword({ passwordFile: this.passwordFile });
    return unlockHome(paths, password);
  }

  protected print(line: string): void {
    this.context.stdout.write(`${line}\n`);
  }

  protected printJson(value: unknown): void {
    this.context.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  }
}
