import { Command, Option } from 'clipanion';
import { MountCommand } from './mount.js';

/** The seed's spelling of `mount --namespace NAME PATH`. */
export class NamespaceMountCommand extends MountCommand {
  static override paths = [['namespace', 'mount']];
  static override usage = Command.Usage({
    description: 'Mount a namespace (same as `mount --namespace NAME PATH`)',
  });

  nsName = Option.String({ required: true });

  override async run(): Promise<number> {
    this.namespace = this.nsName;
    return super.run();
  }
}
