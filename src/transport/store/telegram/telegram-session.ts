import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * The Telegram session string (GramJS StringSession) in the home, `telegram.session`. It is a bearer credential
 * for the whole account, so it is written owner-only (0600) and atomically: a crash mid-write must not leave a
 * half session that fails in confusing ways.
 */

export async function readTelegramSession(file: string): Promise<string | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const session = text.trim();
  return session === '' ? undefined : session;
}

export async function writeTelegramSession(file: string, session: string): Promise<void> {
  if (typeof session !== 'string' || session === '' || /[\r\n]/.test(session)) {
    throw new TypeError('a Telegram session is a non-empty single-line string');
  }
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.tmp-${process.pid}`;
  try {
    await writeFile(tmp, `${session}\n`, { mode: 0o600 });
    // writeFile's mode is filtered by the umask and ignored for an existing file; chmod is not.
    await chmod(tmp, 0o600);
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

export async function removeTelegramSession(file: string): Promise<void> {
  await rm(file, { force: true });
}
