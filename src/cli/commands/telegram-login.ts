import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { Writable } from 'node:stream';
import { Command, Option } from 'clipanion';
import { TgfsError } from '../../errors.js';
import { logInToTelegram, type TelegramLoginPrompts } from '../../home/telegram-account.js';
import { TgfsCommand } from '../tgfs-command.js';

/**
 * `tgcryptfs telegram login`: saves a Telegram session in the home for the telegram store. Answers come from
 * TGCRYPTFS_TELEGRAM_PHONE / _CODE / _2FA, else a prompt on a terminal, else one line each from stdin. It reads
 * config.yaml only — never the home's LevelDB — so it works before `machine init` and beside a running daemon.
 */
export class TelegramLoginCommand extends TgfsCommand {
  static override paths = [['telegram', 'login']];
  static override usage = Command.Usage({
    description:
      'Log in to Telegram and save the session in the home (asks for phone, code and 2FA password)',
    details: `
      The API id and hash come from \`telegram.api_id\` and \`telegram.api_hash\` in config.yaml, or from
      TELEGRAM_APP_ID and TELEGRAM_APP_HASH. The session is saved in $TGCRYPTFS_HOME/telegram.session (mode 0600);
      while it stays valid, running this again asks nothing.
    `,
  });

  force = Option.Boolean('--force', false, { description: 'Log in again even if the saved session works' });

  async run(): Promise<number> {
    const paths = this.home();
    const answers = new Answers(this.context.stdin, this.context.stderr);
    try {
      const result = await logInToTelegram(paths, answers.prompts(), { force: this.force });
      this.print(
        result.alreadyLoggedIn
          ? `already logged in to Telegram (session in ${paths.telegramSession})`
          : `logged in to Telegram; session saved in ${paths.telegramSession}`,
      );
      return 0;
    } finally {
      answers.close();
    }
  }
}

/** Answers from the environment, a terminal prompt, or stdin lines, in that order. */
class Answers {
  private readonly tty: boolean;
  private muted = false;
  private rl: ReturnType<typeof createInterface> | undefined;
  private lines: AsyncIterator<string> | undefined;

  constructor(
    private readonly stdin: Readable,
    private readonly stderr: NodeJS.WritableStream,
  ) {
    this.tty = (stdin as Readable & { isTTY?: boolean }).isTTY === true;
  }

  prompts(): TelegramLoginPrompts {
    return {
      phone: () =>
        this.ask('TGCRYPTFS_TELEGRAM_PHONE', 'Phone number (international format, e.g. +4915…): ', false),
      code: () => this.ask('TGCRYPTFS_TELEGRAM_CODE', 'Login code Telegram sent you: ', false),
      password: (hint) =>
        this.ask(
          'TGCRYPTFS_TELEGRAM_2FA',
          `Two-step verification password${hint ? ` (hint: ${hint})` : ''}: `,
          true,
        ),
    };
  }

  close(): void {
    this.rl?.close();
  }

  private async ask(envName: string, question: string, hidden: boolean): Promise<string> {
    const fromEnv = process.env[envName];
    if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
    if (this.tty) this.stderr.write(question);
    this.muted = hidden && this.tty;
    const next = await this.lineReader().next();
    if (this.muted) this.stderr.write('\n');
    this.muted = false;
    const answer = next.done ? '' : next.value.trim();
    if (answer === '') {
      throw new TgfsError(
        'TELEGRAM_LOGIN_FAILED',
        `no answer for "${question.replace(/: $/, '')}": set ${envName}, pass it on stdin, or run in a terminal`,
      );
    }
    return answer;
  }

  private lineReader(): AsyncIterator<string> {
    if (this.lines === undefined) {
      // Echo goes through this filter so that a hidden answer is not shown on the terminal.
      const output = new Writable({
        write: (chunk, _encoding, done) => {
          if (!this.muted) this.stderr.write(chunk);
          done();
        },
      });
      this.rl = createInterface({ input: this.stdin, output, terminal: this.tty });
      this.lines = this.rl[Symbol.asyncIterator]();
    }
    return this.lines;
  }
}
