import { randomBytes } from 'node:crypto';
import { Command, Option } from 'clipanion';
import { TgfsError } from '../../errors.js';
import type { ConflictStrategy, NamespaceMode } from '../../events/types.js';
import { namespaceByName } from '../../projections/cluster/queries.js';
import { TgfsCommand } from '../tgfs-command.js';

const MODES: readonly NamespaceMode[] = ['standalone', 'master-replica', 'distributed'];
const STRATEGIES: readonly ConflictStrategy[] = ['last-write-wins', 'manual', 'merge'];
export const NAMESPACE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export class NamespaceCreateCommand extends TgfsCommand {
  static override paths = [['namespace', 'create']];
  static override usage = Command.Usage({
    description: 'Create an isolated namespace (its own keys, tree and history)',
    examples: [['A standalone namespace', 'tgcryptfs namespace create photos --type standalone']],
  });

  name = Option.String({ required: true });
  type = Option.String('--type', 'standalone', { description: 'standalone | master-replica | distributed' });
  conflict = Option.String('--conflict', 'last-write-wins', {
    description: 'last-write-wins | manual | merge',
  });
  json = Option.Boolean('--json', false);

  async run(): Promise<number> {
    if (!NAMESPACE_NAME.test(this.name)) {
      throw new TgfsError(
        'NAMESPACE_NAME_INVALID',
        `invalid namespace name ${JSON.stringify(this.name)}: use 1-64 letters, digits, '.', '_' or '-'`,
      );
    }
    const mode = this.type as NamespaceMode;
    if (!MODES.includes(mode)) {
      throw new TgfsError(
        'INVALID_ARGUMENT',
        `unknown namespace type ${this.type}: expected ${MODES.join(', ')}`,
      );
    }
    const conflict = this.conflict as ConflictStrategy;
    if (!STRATEGIES.includes(conflict)) {
      throw new TgfsError(
        'INVALID_ARGUMENT',
        `unknown conflict strategy ${this.conflict}: expected ${STRATEGIES.join(', ')}`,
      );
    }
    const home = await this.unlock();
    try {
      if (namespaceByName(home.cluster.state, this.name) !== undefined) {
        throw new TgfsError('NAMESPACE_EXISTS', `namespace ${this.name} already exists`);
      }
      const id = randomBytes(16).toString('hex');
      await home.cluster.commit([
        {
          type: 'NamespaceCreated',
          body: {
            namespace: id,
            name: this.name,
            mode,
            conflict,
            master: home.machine.id,
            createdAtMs: Date.now(),
          },
        },
      ]);
      if (this.json) this.printJson({ id, name: this.name, mode, conflict, master: home.machine.id });
      else this.print(`created namespace ${this.name} (${id}), ${mode}`);
      return 0;
    } finally {
      await home.close();
    }
  }
}
