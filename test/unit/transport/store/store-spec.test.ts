import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isTgfsError } from '../../../../src/errors.js';
import {
  defaultStoreSpec,
  formatStoreSpec,
  parseStoreSpec,
} from '../../../../src/transport/store/store-spec.js';

test('store specs parse to typed adapters', () => {
  assert.deepEqual(parseStoreSpec('memory'), { kind: 'memory' });
  assert.deepEqual(parseStoreSpec('telegram'), { kind: 'telegram' });
  assert.deepEqual(parseStoreSpec('local:/srv/tgfs'), { kind: 'local', dir: '/srv/tgfs' });
});

test('a relative local directory is resolved against the base directory', () => {
  assert.deepEqual(parseStoreSpec('local:store', '/home/me/.tgcryptfs'), {
    kind: 'local',
    dir: '/home/me/.tgcryptfs/store',
  });
});

test('unknown or incomplete specs fail with CONFIG_INVALID naming the input', () => {
  for (const text of ['', 'local:', 'local', 's3:bucket', 'Memory', 'telegram:me']) {
    assert.throws(
      () => parseStoreSpec(text),
      (err: unknown) =>
        isTgfsError(err, 'CONFIG_INVALID') && err.message.includes(JSON.stringify(text).slice(1, -1)),
      text,
    );
  }
});

test('a spec formats back to text that parses to the same spec', () => {
  for (const spec of [{ kind: 'memory' }, { kind: 'telegram' }, { kind: 'local', dir: '/a/b' }] as const) {
    assert.deepEqual(parseStoreSpec(formatStoreSpec(spec)), spec);
  }
});

test('a new home stores its messages in HOME/store', () => {
  assert.deepEqual(defaultStoreSpec('/h'), { kind: 'local', dir: '/h/store' });
});
