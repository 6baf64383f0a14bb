// fuse-native 2.2.6 hands utimens the access time twice (its C glue copies l->atime into the mtime argument),
// so `touch -m`, `cp -p` and `tar x` cannot set mtimes. Upstream is unmaintained; this postinstall step fixes
// that one line and builds the binding from source, which node-gyp-build then prefers over the prebuilt one.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
let dir;
try {
  dir = dirname(require.resolve('fuse-native/package.json'));
} catch {
  process.exit(0); // not installed (e.g. a production install without it): nothing to patch
}
const source = join(dir, 'fuse-native.c');
const buggy = 'FUSE_UINT64_TO_INTS_ARGV(l->atime, 5)';
const fixed = 'FUSE_UINT64_TO_INTS_ARGV(l->mtime, 5)';
const text = readFileSync(source, 'utf8');
const needsPatch = text.includes(buggy);
if (needsPatch) writeFileSync(source, text.replace(buggy, fixed));
if (!readFileSync(source, 'utf8').includes(fixed)) {
  console.error('patch-fuse-native: fuse-native.c has an unexpected utimens; not patched');
  process.exit(1);
}
if (needsPatch || !existsSync(join(dir, 'build', 'Release', 'fuse.node'))) {
  // npm tells lifecycle scripts where its bundled node-gyp is; outside npm, look beside this node.
  const nodeGyp =
    process.env.npm_config_node_gyp ??
    join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
  execFileSync(process.execPath, [nodeGyp, 'rebuild'], { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'] });
}
