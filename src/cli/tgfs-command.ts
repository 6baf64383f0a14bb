import { Command, Option } from 'clipanion';
import { type HomePaths, homePaths } from '../config/home-paths.js';
import { isTgfsError } from '../errors.js';
import { exitCodeOf } from './exit-codes.js';
import { type UnlockedHome, unlockHome } from './home.js';
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
