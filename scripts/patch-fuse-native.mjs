// Fixes to fuse-native 2.2.6's C glue (upstream is unmaintained), applied after install; the binding is
// then built from source, which node-gyp-build prefers over the prebuilt one:
// - utimens handed the access time twice (l->atime was copied into the mtime argument), so `touch -d`,
//   `cp -p` and `tar x` could not set mtimes;
// - libfuse 2.9's high-level API drops a SETATTR that sets mtime alone (what `tar x` and `touch -m` send)
//   unless the filesystem declares `flag_utime_omit_ok`. With it, times arrive as UTIME_OMIT (the adapter reads
//   the resulting 1073 ms as "keep") or UTIME_NOW (`touch`), which the glue now turns into the current time;
// - and, for speed, getxattr of anything but user.* is answered in C (see below);
// - the calling process (fuse_get_context(): uid, gid, pid, umask) was never passed on, so new files could
//   not belong to their creator. It is only valid in the fuse thread that runs the op, so that thread copies
//   it into its locals before waking JavaScript; the fields come first in the struct, at byte offsets 0, 4,
//   8, 12, where the adapter reads them from the locals buffer every handler receives (fuse-adapter.ts).
// - st_ino is 64 bits: getStatArray (index.js) carries an ino given as a bigint in two uint32 slots, the low
//   half where it always was and the high half after the 18 fields, and populate_stat puts them together, so
//   with use_ino a file's inode number is derived from its id, stable across mounts, in stat and readdir alike.
// - fallocate, which fuse-native lacks, is added to the C glue and to index.js (see FALLOCATE_*).
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
let dir;
try {
  dir = dirname(require.resolve('fuse-native/package.json'));
} catch {
  process.exit(0); // not installed: nothing to patch
}
const PATCHES = [
  ['FUSE_UINT64_TO_INTS_ARGV(l->atime, 5)', 'FUSE_UINT64_TO_INTS_ARGV(l->mtime, 5)'],
  [
    'struct fuse_operations ops = { };\n',
    'struct fuse_operations ops = { };\n  ops.flag_utime_omit_ok = 1;\n',
  ],
  [
    '  l->atime = timespec_to_uint64(&tv[0]);\n  l->mtime = timespec_to_uint64(&tv[1]);\n',
    '  l->atime = utimens_to_uint64(&tv[0]);\n  l->mtime = utimens_to_uint64(&tv[1]);\n',
  ],
  [
    // Linux getxattr: only user.* attributes exist here, so answer the rest (security.selinux and
    // system.posix_acl_access, asked for every entry by `ls -l`) without a round trip to JavaScript.
    'FUSE_METHOD(getxattr, 4, 1, (const char *path, const char *name, char *value, size_t size), {\n  l->path = path;',
    'FUSE_METHOD(getxattr, 4, 1, (const char *path, const char *name, char *value, size_t size), {\n  if (strncmp(name, "user.", 5) != 0) return -ENODATA;\n  l->path = path;',
  ],
  [
    'typedef struct {\n  napi_ref self;\n\n  // Opcode\n',
    'typedef struct {\n  // The caller of the op in progress, read by JavaScript at these offsets: keep them first.\n  uint32_t caller_uid;\n  uint32_t caller_gid;\n  uint32_t caller_pid;\n  uint32_t caller_umask;\n\n  napi_ref self;\n\n  // Opcode\n',
  ],
  [
    '  fuse_thread_locals_t *l = get_thread_locals();\\\n  l->op = op_##name;\\\n',
    '  fuse_thread_locals_t *l = get_thread_locals();\\\n  struct fuse_context *caller = fuse_get_context();\\\n  l->caller_uid = caller->uid;\\\n  l->caller_gid = caller->gid;\\\n  l->caller_pid = caller->pid;\\\n  l->caller_umask = caller->umask;\\\n  l->op = op_##name;\\\n',
  ],
  [
    // Needs the index.js patch below (19 slots per stat), which is applied first.
    '  uint32s_to_timespec(&stat->st_ctim, &ints);\n#endif\n}\n',
    '  uint32s_to_timespec(&stat->st_ctim, &ints);\n#endif\n  stat->st_ino |= ((uint64_t) *ints++) << 32;\n}\n',
  ],
  [
    'static void populate_stat (uint32_t *ints, struct stat* stat) {',
    `static uint64_t utimens_to_uint64 (const struct timespec* ts) {
  if (ts->tv_nsec == UTIME_NOW) {
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    return timespec_to_uint64(&now);
  }
  return timespec_to_uint64(ts);
}

static void populate_stat (uint32_t *ints, struct stat* stat) {`,
  ],
];
// index.js: getStatArray's 64-bit st_ino (see the populate_stat patch above). Patched before the C side, so a
// failure leaves either both halves or neither.
const INDEX_PATCHES = [
  ['  const ints = new Uint32Array(18)\n', '  const ints = new Uint32Array(19)\n'],
  [
    '  ints[7] = (stat && stat.ino) || 0\n',
    `  const ino = (stat && stat.ino) || 0
  ints[7] = typeof ino === 'bigint' ? Number(BigInt.asUintN(32, ino)) : ino
  ints[18] = typeof ino === 'bigint' ? Number(BigInt.asUintN(32, ino >> 32n)) : Math.floor(ino / 4294967296)
`,
  ],
];

// fallocate(2): fuse-native has no such op, so `fallocate` and posix_fallocate got EOPNOTSUPP. A new opcode
// (34, after rmdir; the handler tables have room for 35) in the C glue and in index.js, which passes
// (path, mode, offset, length, fd, cb) with the 64-bit offset and length as doubles, like truncate's size.
const FALLOCATE_C_PATCHES = [
  [
    'static const uint32_t op_rmdir = 33;\n',
    'static const uint32_t op_rmdir = 33;\nstatic const uint32_t op_fallocate = 34;\n',
  ],
  [
    'static void fuse_native_dispatch_init (uv_async_t* handle,',
    `FUSE_METHOD_VOID(fallocate, 7, 0, (const char *path, int mode, off_t offset, off_t length, struct fuse_file_info *info), {
  l->path = path;
  l->mode = mode;
  l->offset = offset;
  l->len = length;
  l->info = info;
}, {
  napi_create_string_utf8(env, l->path, NAPI_AUTO_LENGTH, &(argv[2]));
  napi_create_uint32(env, l->mode, &(argv[3]));
  FUSE_UINT64_TO_INTS_ARGV(l->offset, 4)
  FUSE_UINT64_TO_INTS_ARGV(l->len, 6)
  napi_create_uint32(env, l->info != NULL ? l->info->fh : 0, &(argv[8]));
})

static void fuse_native_dispatch_init (uv_async_t* handle,`,
  ],
  [
    '  if (implemented[op_rmdir]) ops.rmdir = fuse_native_rmdir;\n',
    '  if (implemented[op_rmdir]) ops.rmdir = fuse_native_rmdir;\n  if (implemented[op_fallocate]) ops.fallocate = fuse_native_fallocate;\n',
  ],
  [
    '  NAPI_EXPORT_FUNCTION(fuse_native_signal_rmdir)\n',
    '  NAPI_EXPORT_FUNCTION(fuse_native_signal_rmdir)\n  NAPI_EXPORT_FUNCTION(fuse_native_signal_fallocate)\n',
  ],
  [
    '  NAPI_EXPORT_UINT32(op_rmdir)\n',
    '  NAPI_EXPORT_UINT32(op_rmdir)\n  NAPI_EXPORT_UINT32(op_fallocate)\n',
  ],
];
const FALLOCATE_INDEX_PATCHES = [
  [
    "  ['rmdir', {\n    op: binding.op_rmdir\n  }]\n",
    "  ['rmdir', {\n    op: binding.op_rmdir\n  }],\n  ['fallocate', {\n    op: binding.op_fallocate\n  }]\n",
  ],
  [
    '  _op_rmdir (signal, path) {\n    this.ops.rmdir(path, err => {\n      return signal(err)\n    })\n  }\n',
    `  _op_rmdir (signal, path) {
    this.ops.rmdir(path, err => {
      return signal(err)
    })
  }

  _op_fallocate (signal, path, mode, offsetLow, offsetHigh, lengthLow, lengthHigh, fd) {
    const offset = getDoubleArg(offsetLow, offsetHigh)
    const length = getDoubleArg(lengthLow, lengthHigh)
    this.ops.fallocate(path, mode, offset, length, fd, err => {
      return signal(err)
    })
  }
`,
  ],
];

/** Applies each [before, after] once (a file already holding `after` is left alone); says whether it wrote. */
function patchFile(name, patches) {
  const file = join(dir, name);
  let text = readFileSync(file, 'utf8');
  let changed = false;
  for (const [before, after] of patches) {
    if (text.includes(after)) continue;
    if (!text.includes(before)) {
      console.error(`patch-fuse-native: ${name} no longer contains ${JSON.stringify(before)}; not patched`);
      process.exit(1);
    }
    text = text.replace(before, after);
    changed = true;
  }
  if (changed) writeFileSync(file, text);
  return changed;
}

const source = join(dir, 'fuse-native.c');
// index.js first: the C side's st_ino patch reads the stat slot index.js adds.
patchFile('index.js', [...INDEX_PATCHES, ...FALLOCATE_INDEX_PATCHES]);
const changed = patchFile('fuse-native.c', [...PATCHES, ...FALLOCATE_C_PATCHES]);
const binary = join(dir, 'build', 'Release', 'fuse.node');
// Rebuild whenever the binary is missing or older than the patched source (an earlier build may have failed).
if (changed || !existsSync(binary) || statSync(binary).mtimeMs < statSync(source).mtimeMs) {
  // npm tells lifecycle scripts where its bundled node-gyp and Node's headers are (run it as
  // `npm run postinstall`); outside npm, node-gyp is looked for beside this node.
  const nodeGyp =
    process.env.npm_config_node_gyp ??
    join(
      dirname(process.execPath),
      '..',
      'lib',
      'node_modules',
      'npm',
      'node_modules',
      'node-gyp',
      'bin',
      'node-gyp.js',
    );
  execFileSync(process.execPath, [nodeGyp, 'rebuild'], { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'] });
}
