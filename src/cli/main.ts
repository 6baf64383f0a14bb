import { Builtins, Cli } from 'clipanion';
import { MachineInitCommand } from './commands/machine-init.js';
import { MachineShowCommand } from './commands/machine-show.js';
import { MountCommand } from './commands/mount.js';
import { NamespaceCreateCommand } from './commands/namespace-create.js';
import { NamespaceListCommand } from './commands/namespace-list.js';
import { NamespaceMountCommand } from './commands/namespace-mount.js';
import { UnmountCommand } from './commands/unmount.js';

const cli = new Cli({ binaryLabel: 'tgcryptfs', binaryName: 'tgcryptfs', binaryVersion: '0.1.0' });
cli.register(Builtins.HelpCommand);
cli.register(Builtins.VersionCommand);
cli.register(MachineInitCommand);
cli.register(MachineShowCommand);
cli.register(NamespaceCreateCommand);
cli.register(NamespaceListCommand);
cli.register(NamespaceMountCommand);
cli.register(MountCommand);
cli.register(UnmountCommand);

const code = await cli.run(process.argv.slice(2));
process.exitCode = code;
