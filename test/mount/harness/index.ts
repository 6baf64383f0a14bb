export { CLI, createNamespace, initHome, REPO_ROOT, runCli } from './cli.js';
export { assertNoLeftoverMounts, forceUnmount, fuseMountAt, fuseMountsUnder } from './fuse-mounts.js';
export { linkGroups, manifest, sha256 } from './manifest.js';
export { crashMount, type MountHandle, startMount, stopMount } from './mount-process.js';
export { type MountSuite, mountSuite, TEST_PASSWORD } from './mount-suite.js';
export { hasCommand, q, sh, shOk } from './sh.js';
