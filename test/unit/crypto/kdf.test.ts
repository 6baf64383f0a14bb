import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DEFAULT_KDF, deriveMasterKey, newSalt } from '../../../src/crypto/kdf.js';
import { isTgfsError } from '../../../src/errors.js';

// Small parameters keep the suite fast; one test runs the defaults users get.
const FAST = { memoryMiB: 8, iterations: 1 };

describe('deriveMasterKey', () => {
  const salt = Uint8Array.from({ length: 16 }, (_, i) => i);

  test('the same password and salt give the same 32-byte key', async () => {
    const a = await deriveMasterKey('correct horse', salt, FAST);
    const b = await deriveMasterKey('correct horse', new Uint8Array(salt), FAST);
    assert.equal(a.length, 32);
    assert.deepStrictEqual(a, b);
  });

  test('another password, salt or cost gives another key', async () => {
    const base = await deriveMasterKey('correct horse', salt, FAST);
    const otherSalt = new Uint8Array(salt);
    otherSalt[0] = 99;
    assert.notDeepStrictEqual(await deriveMasterKey('correct horsf', salt, FAST), base);
    assert.notDeepStrictEqual(await deriveMasterKey('correct horse', otherSalt, FAST), base);
    assert.notDeepStrictEqual(
      await deriveMasterKey('correct horse', salt, { memoryMiB: 8, iterations: 2 }),
      base,
    );
  });

  test('matches a fixed Argon2id vector, so a library or parameter change cannot silently change keys', async () => {
    const key = await deriveMasterKey('password', salt, FAST);
    assert.equal(Buffer.from(key).toString('hex'), KNOWN_VECTOR);
  });

  test('a password typed in decomposed Unicode (macOS) opens the same key as the composed form', async () => {
    const composed = await deriveMasterKey('caf\u00e9', salt, FAST);
    const decomposed = await deriveMasterKey('cafe\u0301', salt, FAST);
    assert.deepStrictEqual(decomposed, composed);
  });

  test('the default parameters work (64 MiB, 3 iterations)', async () => {
    assert.deepStrictEqual(DEFAULT_KDF, { memoryMiB: 64, iterations: 3 });
    const key = await deriveMasterKey('pw', newSalt(), DEFAULT_KDF);
    assert.equal(key.length, 32);
  });

  test('nonsense parameters are CONFIG_INVALID naming the value', async () => {
    await assert.rejects(deriveMasterKey('pw', salt, { memoryMiB: 0, iterations: 1 }), (err) =>
      isTgfsError(err, 'CONFIG_INVALID'),
    );
    await assert.rejects(deriveMasterKey('pw', salt, { memoryMiB: 8, iterations: 1.5 }), /1\.5/);
  });

  test('newSalt gives 16 fresh random bytes', () => {
    const a = newSalt();
    assert.equal(a.length, 16);
    assert.notDeepStrictEqual(a, newSalt());
  });
});

// Argon2id(password, salt 00..0f, m=8192 KiB, t=1, p=1, 32 bytes); @noble/hashes' argon2id agrees.
const KNOWN_VECTOR = '6708f1faf7314dfc009386f5258b181f70f6190926363475fadec630a1bde67a';
