import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Cli } from 'clipanion';
import { TelegramLoginCommand } from '../../../../../src/cli/commands/telegram-login.js';
import { isTgfsError } from '../../../../../src/errors.js';
import { openMessageStore } from '../../../../../src/transport/store/open-store.js';
import type { TelegramClientFactory } from '../../../../../src/transport/store/telegram/telegram-client.js';
import { telegramLogin } from '../../../../../src/transport/store/telegram/telegram-login.js';
import {
  FAKE_ACCOUNT,
  FAKE_SESSION_PREFIX,
  FakeTelegramClient,
} from '../../../../helpers/fake-telegram-client.js';

const FAKE_MODULE = fileURLToPath(new URL('../../../../helpers/fake-telegram-client.js', import.meta.url));
const API = { apiId: 12345, apiHash: '0123456789abcdef' };

let dir: string;
const savedEnv = { ...process.env };
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tgfs-telegram-login-'));
});
afterEach(async () => {
  for (const key of Object.keys(process.env)) if (!(key in savedEnv)) delete process.env[key];
  Object.assign(process.env, savedEnv);
  await rm(dir, { recursive: true, force: true });
});

function recordingFactory(password?: string): {
  factory: TelegramClientFactory;
  clients: FakeTelegramClient[];
} {
  const clients: FakeTelegramClient[] = [];
  const factory: TelegramClientFactory = async ({ session }) => {
    const c = new FakeTelegramClient({
      session,
      account: { ...FAKE_ACCOUNT, ...(password ? { password } : {}) },
    });
    clients.push(c);
    return c;
  };
  return { factory, clients };
}

function prompts(answers: { phone?: string; code?: string; password?: string }, asked: string[]) {
  const answer = (what: string, value: string) => async () => {
    asked.push(what);
    return value;
  };
  return {
    phone: answer('phone', answers.phone ?? FAKE_ACCOUNT.phone),
    code: answer('code', answers.code ?? FAKE_ACCOUNT.code),
    password: answer('password', answers.password ?? ''),
  };
}

describe('telegram login flow', () => {
  test('asks phone, code and 2FA password, saves the session 0600, and later runs ask nothing', async () => {
    const sessionFile = join(dir, 'home', 'telegram.session');
    const { factory, clients } = recordingFactory('hunter2');
    const asked: string[] = [];
    const first = await telegramLogin({
      sessionFile,
      api: API,
      createClient: factory,
      prompts: prompts({ password: 'hunter2' }, asked),
    });
    assert.deepEqual(first, { alreadyLoggedIn: false });
    assert.deepEqual(asked, ['phone', 'code', 'password']);
    assert.equal((await stat(sessionFile)).mode & 0o777, 0o600);
    assert.equal((await readFile(sessionFile, 'utf8')).trim(), `${FAKE_SESSION_PREFIX}${FAKE_ACCOUNT.phone}`);
    assert.ok(clients[0]!.destroyed, 'the login client was left connected');

    const again = await telegramLogin({
      sessionFile,
      api: API,
      createClient: factory,
      prompts: prompts({}, asked),
    });
    assert.deepEqual(again, { alreadyLoggedIn: true });
    assert.deepEqual(asked, ['phone', 'code', 'password'], 'a valid session must not prompt again');
  });

  test('a wrong code fails at once with TELEGRAM_LOGIN_FAILED and saves nothing', async () => {
    const sessionFile = join(dir, 'telegram.session');
    const { factory } = recordingFactory();
    await assert.rejects(
      telegramLogin({
        sessionFile,
        api: API,
        createClient: factory,
        prompts: prompts({ code: '00000' }, []),
      }),
      (err: unknown) => isTgfsError(err, 'TELEGRAM_LOGIN_FAILED') && /PHONE_CODE_INVALID/.test(err.message),
    );
    await assert.rejects(stat(sessionFile), { code: 'ENOENT' });
  });
});

async function runLogin(stdinText: string, args: string[] = []) {
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => {
    out += d.toString();
  });
  stderr.on('data', (d: Buffer) => {
    err += d.toString();
  });
  stdin.end(stdinText);
  const cli = Cli.from([TelegramLoginCommand]);
  const code = await cli.run(['telegram', 'login', ...args], { stdin, stdout, stderr });
  return { code, stdout: out, stderr: err };
}

describe('tgcryptfs telegram login (through the fake client)', () => {
  test('logs in from stdin lines and env, saves the session 0600, and a second run needs no input', async () => {
    Object.assign(process.env, {
      TGCRYPTFS_HOME: join(dir, 'home'),
      TGCRYPTFS_TELEGRAM_FAKE: FAKE_MODULE,
      TELEGRAM_APP_ID: '12345',
      TELEGRAM_APP_HASH: 'abc',
      TGCRYPTFS_FAKE_TELEGRAM_2FA: 'secret 2fa',
      TGCRYPTFS_TELEGRAM_2FA: 'secret 2fa',
    });
    const first = await runLogin(`${FAKE_ACCOUNT.phone}\n${FAKE_ACCOUNT.code}\n`);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /logged in to Telegram; session saved in .*telegram\.session/);
    const file = join(dir, 'home', 'telegram.session');
    assert.equal((await stat(file)).mode & 0o777, 0o600);

    const second = await runLogin('');
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stdout, /already logged in/);

    // The store opens with the saved session.
    const store = await openMessageStore({ kind: 'telegram' }, { homeRoot: join(dir, 'home') });
    const id = await store.append('tgfs:0123456789abcdef0123456789abcdef:op:x', Uint8Array.of(1));
    assert.deepEqual(await store.read(id), Uint8Array.of(1));
    await store.close();
  });

  test('without an API id it fails with one line naming both places to set it', async () => {
    Object.assign(process.env, { TGCRYPTFS_HOME: join(dir, 'home'), TGCRYPTFS_TELEGRAM_FAKE: FAKE_MODULE });
    delete process.env['TELEGRAM_APP_ID'];
    delete process.env['TELEGRAM_APP_HASH'];
    const r = await runLogin('');
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /^tgcryptfs: no Telegram API id and hash: set telegram\.api_id .* TELEGRAM_APP_ID/,
    );
    assert.equal(r.stderr.trim().split('\n').length, 1);
  });

  test('with no phone number available it fails clearly instead of hanging', async () => {
    Object.assign(process.env, {
      TGCRYPTFS_HOME: join(dir, 'home'),
      TGCRYPTFS_TELEGRAM_FAKE: FAKE_MODULE,
      TELEGRAM_APP_ID: '1',
      TELEGRAM_APP_HASH: 'h',
    });
    delete process.env['TGCRYPTFS_TELEGRAM_PHONE'];
    const r = await runLogin('');
    assert.equal(r.code, 9);
    assert.match(r.stderr, /no answer for "Phone number.*TGCRYPTFS_TELEGRAM_PHONE/);
  });

  test('opening the telegram store without a session says to log in', async () => {
    Object.assign(process.env, {
      TELEGRAM_APP_ID: '1',
      TELEGRAM_APP_HASH: 'h',
      TGCRYPTFS_TELEGRAM_FAKE: FAKE_MODULE,
    });
    await assert.rejects(
      openMessageStore({ kind: 'telegram' }, { homeRoot: dir }),
      (err: unknown) =>
        isTgfsError(err, 'TELEGRAM_LOGIN_REQUIRED') && /tgcryptfs telegram login/.test(err.message),
    );
  });
});
