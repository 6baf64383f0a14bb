import { Command, Option } from 'clipanion';
import { DEFAULT_KDF } from '../../crypto/kdf.js';
import { TgfsError } from '../../errors.js';
import { identityReport, initHome } from '../../home/home.js';
import { defaultStoreSpec, parseStoreSpec } from '../../transport/store/store-spec.js';
import { readPassword } from '../password.js';
import { TgfsCommand } from '../tgfs-command.js';

export class MachineInitCommand extends TgfsCommand {
  static override paths = [['machine', 'init']];
  static override usage = Command.Usage({
    description: 'Create this machine: its identity, its keys and its home',
    details: `
      Creates \`$TGCRYPTFS_HOME\` (default \`~/.tgcryptfs\`) with a new machine identity (a random Ed25519 key
      pair sealed under the master key). The store defaults to the embedded local store in \`$TGCRYPTFS_HOME/store\`;
      \`--store local:DIR\` points at another folder (one shared by several homes makes them one cluster).
      On an empty store this creates the cluster (\`--cluster\` names it) with this machine as its first admin.
      When the store already belongs to a cluster, the password must be that cluster's, and the machine joins
      it: with \`--token\` (from \`cluster invite\` on an admin) it is admitted at once; without, its join waits
      for an admin's \`cluster admit\`, and its events are held by everyone until then.
    `,
    examples: [
      ['Initialise a machine on the embedded store', 'tgcryptfs machine init --name laptop'],
      [
        'Join a shared store with an invitation',
        'tgcryptfs machine init --name desk --store local:/srv/tgfs --token tgfs-invite-1.…',
      ],
    ],
  });

  name = Option.String('--name', { required: true, description: 'A name for this machine' });
  store = Option.String('--store', {
    description: 'local:DIR or telegram (default: local:$TGCRYPTFS_HOME/store)',
  });
  kdfMemoryMb = Option.String('--kdf-memory-mb', {
    description: 'Argon2id memory in MiB for a new cluster (default 64)',
  });
  kdfIterations = Option.String('--kdf-iterations', {
    description: 'Argon2id passes for a new cluster (default 3)',
  });
  cluster = Option.String('--cluster', {
    description: 'The id of the cluster a new store gets (default: default)',
  });
  token = Option.String('--token', { description: 'An invitation token from `cluster invite`' });
  json = Option.Boolean('--json', false, { description: 'Print the identity as JSON' });

  async run(): Promise<number> {
    const paths = this.home();
    const store = this.store === undefined ? defaultStoreSpec(paths.root) : parseStoreSpec(this.store);
    const kdf = {
      memoryMiB: intOption('--kdf-memory-mb', this.kdfMemoryMb, DEFAULT_KDF.memoryMiB, 8, 4096),
      iterations: intOption('--kdf-iterations', this.kdfIterations, DEFAULT_KDF.iterations, 1, 64),
    };
    const password = await readPassword({ passwordFile: this.passwordFile, confirm: true });
    const home = await initHome(paths, {
      name: this.name,
      store,
      password,
      kdf,
      ...(this.cluster === undefined ? {} : { cluster: this.cluster }),
      join: this.token === undefined ? {} : { invitation: this.token },
    });
    try {
      const info = identityReport(home.machine, paths, store);
      if (this.json) this.printJson(info);
      else {
        this.print(`initialised machine ${info.name} (${info.id})`);
        this.print(`public key ${info.publicKey}`);
        this.print(`home ${info.home}, store ${info.store}`);
      }
      return 0;
    } finally {
      await home.close();
    }
  }
}

function intOption(
  flag: string,
  value: string | undefined,
  fallback: number,
  min: number,
  max: number,
): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new TgfsError('INVALID_ARGUMENT', `${flag} must be an integer from ${min} to ${max}, got ${value}`);
  }
  return n;
}
