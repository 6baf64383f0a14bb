import { readFile } from 'node:fs/promises';
import { TgfsError } from '../errors.js';

/**
 * The master password, from (in this order) `--password-file`, `TGCRYPTFS_PASSWORD`, or a prompt when stdin is a
 * terminal. Never from argv: it would show in `ps`.
 */
export async function readPassword(opts: {
  passwordFile?: string | undefined;
  confirm?: boolean;
}): Promise<string> {
  if (opts.passwordFile !== undefined) {
    let text: string;
    try {
      text = await readFile(opts.passwordFile, 'utf8');
    } catch (cause) {
      throw new TgfsError('PASSWORD_MISSING', `cannot read password file ${opts.passwordFile}`, { cause });
    }
    const password = text.replace(/\r?\n$/, '');
    if (password === '')
      throw new TgfsError('PASSWORD_MISSING', `password file ${opts.passwordFile} is empty`);
    return password;
  }
  if (process.env[PASSWORD_ON_STDIN] === '1') {
    // A detached mount (`mount --daemon`) gets the password from its parent through a pipe, not its environment.
    delete process.env[PASSWORD_ON_STDIN];
    const password = (await readAll(process.stdin)).replace(/\r?\n$/, '');
    if (password === '') throw new TgfsError('PASSWORD_MISSING', 'no password arrived on standard input');
    return password;
  }
  const fromEnv = process.env['TGCRYPTFS_PASSWORD'];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  if (!process.stdin.isTTY) {
    throw new TgfsError(
      'PASSWORD_MISSING',
      'no password: set TGCRYPTFS_PASSWORD, pass --password-file FILE, or run in a terminal to be asked',
    );
  }
  const password = await prompt('Password: ');
  if (opts.confirm) {
    const again = await prompt('Repeat password: ');
    if (again !== password) throw new TgfsError('PASSWORD_MISSING', 'the two passwords differ');
  }
  if (password === '') throw new TgfsError('PASSWORD_MISSING', 'empty password');
  return password;
}

/** Set by `mount --daemon` for its child: read the password from standard input. */
export const PASSWORD_ON_STDIN = 'TGCRYPTFS_PASSWORD_ON_STDIN';

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  let text = '';
  for await (const chunk of stream) text += chunk.toString();
  return text;
}

function prompt(question: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const stdin = process.stdin;
    process.stderr.write(question);
    stdin.setRawMode(true);
    stdin.resume();
    let value = '';
    const onData = (chunk: Buffer) => {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n') {
          done();
          resolve(value);
          return;
        }
        if (ch === '\u0003') {
          done();
          reject(new TgfsError('PASSWORD_MISSING', 'cancelled'));
          return;
        }
        if (ch === '\u007f') value = value.slice(0, -1);
        else value += ch;
      }
    };
    const done = () => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write('\n');
    };
    stdin.on('data', onData);
  });
}
