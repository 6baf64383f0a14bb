import { hostname } from 'node:os';
import cliProgress from 'cli-progress';
import { Command, Option } from 'clipanion';
import { rebuildHome } from '../../home/rebuild-home.js';
import { parseStoreSpec } from '../../transport/store/store-spec.js';
import { readPassword } from '../password.js';
import { TgfsCommand } from '../tgfs-command.js';

export class RebuildCommand extends TgfsCommand {
  static override paths = [['rebuild']];
  static override usage = Command.Usage({
    description: 'Rebuild a home from the store and the master password alone',
    details: `
      Into an empty \`$TGCRYPTFS_HOME\`: reads the store's manifest (a wrong password stops here, exit 3, and
      nothing is written), creates a new identity for this machine, pulls and verifies every event of every
      namespace, and rebuilds the chunk indexes from the packs. The home then mounts the same trees.
    `,
    examples: [['After losing a laptop', 'tgcryptfs rebuild --store local:/mnt/backup/tgfs-store']],
  });

  store = Option.String('--store', { required: true, description: 'local:DIR or telegram' });
  name = Option.String('--name', { description: 'A name for this machine (default: the host name)' });
  replace = Option.String('--replace', {
    description: 'The lost machine to take over (default: the only other machine, if there is one)',
  });
  keep = Option.Boolean('--no-replace', false, {
    description: 'Take over no machine (the others keep their roles): for a copy, not a lost machine',
  });
  json = Option.Boolean('--json', false, { description: 'Print the report as JSON' });

  async run(): Promise<number> {
    const store = parseStoreSpec(this.store);
    const password = await readPassword({ passwordFile: this.passwordFile });
    const stderr = this.context.stderr as NodeJS.WriteStream;
    const bar = stderr.isTTY
      ? new cliProgress.SingleBar(
          { stream: stderr, format: 'rebuild {phase} [{bar}] {value}/{total}', hideCursor: true },
          cliProgress.Presets.shades_classic,
        )
      : undefined;
    let started = false;
    const report = await rebuildHome(this.home(), {
      store,
      password,
      name: this.name ?? (hostname().slice(0, 64) || 'machine'),
      ...(this.keep
        ? { replace: false as const }
        : this.replace === undefined
          ? {}
          : { replace: this.replace }),
      onProgress: (p) => {
        if (bar === undefined || p.phase !== 'pull') return;
        if (!started) {
          bar.start(p.total, 0, { phase: 'pull' });
          started = true;
        }
        bar.setTotal(p.total);
        bar.update(p.done, { phase: p.phase });
      },
      log: (line) => stderr.write(`tgcryptfs: ${line}\n`),
    }).finally(() => {
      if (started) bar?.stop();
    });
    if (this.json) {
      this.printJson(report);
    } else {
      this.print(
        `rebuilt home as machine ${report.machine.name} (${report.machine.id}), admitted by the password`,
      );
      if (report.replaced !== null) {
        this.print(
          `took over ${report.replaced.name} (${report.replaced.id}): its roles and namespaces are this machine's`,
        );
      }
      this.print(
        `${report.pull.events} events pulled; namespaces: ${report.namespaces.join(', ') || 'none'}`,
      );
      if (report.pull.rejected.length + report.pull.held.length > 0) {
        this.print(
          `${report.pull.rejected.length} messages rejected, ${report.pull.held.length} held: see \`tgcryptfs sync status\``,
        );
      }
    }
    if (report.snapshot !== null && report.snapshot.missing.length > 0) {
      this.context.stderr.write(
        `tgcryptfs: the store lacks events the snapshot of ${report.snapshot.takenAt} lists: ${report.snapshot.missing.join('; ')}\n`,
      );
    }
    return 0;
  }
}
