import { TgfsError } from '../src/errors.js';

export interface BenchOptions {
  /** Smaller sizes everywhere: a smoke run of the whole suite in a minute or two. */
  readonly quick: boolean;
  /** Benchmark ids or prefixes to run (`event`, `fs.seq-write`, …); empty runs everything. */
  readonly only: readonly string[];
  /** Where homes, mount points and fixtures go; a fresh temporary directory by default. */
  readonly dir: string | undefined;
  /** Keep the work directory afterwards (for a look at the homes and the store). */
  readonly keep: boolean;
  /** Run the tgcryptfs mount daemons under `node --cpu-prof`, writing profiles here. */
  readonly profileDir: string | undefined;
  /** Do not `apt-get install gocryptfs` when it is missing. */
  readonly noInstall: boolean;
  /** Where the JSON results go. */
  readonly json: string;
}

export const USAGE = `usage: node dist/bench/run.js [--quick] [--only NAME[,NAME…]] [--dir DIR] [--keep]
                             [--profile DIR] [--no-install] [--json FILE]
  NAME is a group (event, fs, store, memory) or a benchmark id or prefix (event.append, fs.seq-read, store.msgs-1gib);
  --list prints the ids.`;

export function parseOptions(argv: readonly string[], defaultJson: string): BenchOptions | 'help' | 'list' {
  let quick = false;
  let keep = false;
  let noInstall = false;
  const only: string[] = [];
  let dir: string | undefined;
  let profileDir: string | undefined;
  let json = defaultJson;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new TgfsError('INVALID_ARGUMENT', `${a} needs a value`);
      return v;
    };
    if (a === '--quick') quick = true;
    else if (a === '--keep') keep = true;
    else if (a === '--no-install') noInstall = true;
    else if (a === '--only')
      only.push(
        ...value()
          .split(',')
          .filter((s) => s !== ''),
      );
    else if (a === '--dir') dir = value();
    else if (a === '--profile') profileDir = value();
    else if (a === '--json') json = value();
    else if (a === '--help' || a === '-h') return 'help';
    else if (a === '--list') return 'list';
    else throw new TgfsError('INVALID_ARGUMENT', `unknown bench option ${a}\n${USAGE}`);
  }
  return { quick, only, dir, keep, profileDir, noInstall, json };
}

/** A benchmark runs when nothing was selected, or when a selected name is its id, its group or a prefix of it. */
export function selected(opts: BenchOptions, id: string): boolean {
  if (opts.only.length === 0) return true;
  return opts.only.some((name) => id === name || id.startsWith(`${name}.`) || id.startsWith(name));
}
