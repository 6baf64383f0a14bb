import { readFile, writeFile } from 'node:fs/promises';
import { parse, stringify } from 'yaml';
import { z } from 'zod';
import { TgfsError } from '../errors.js';

/**
 * config.yaml, version 2: the typed, validated view of a home's settings. YAML through `yaml` (a full YAML 1.2
 * parser with precise error positions) and validation through `zod` (errors name the offending key).
 */

const StoreSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('local'), path: z.string().min(1) }).strict(),
  z.object({ kind: z.literal('telegram') }).strict(),
]);

export const ConfigSchema = z
  .object({
    version: z.literal(2),
    machine: z.object({ name: z.string().min(1).max(64) }).strict(),
    store: StoreSchema,
    kdf: z
      .object({
        memory_mb: z.number().int().min(8).max(4096).default(64),
        iterations: z.number().int().min(1).max(64).default(3),
      })
      .strict()
      .default({ memory_mb: 64, iterations: 3 }),
    cache: z
      .object({
        max_size_gb: z.number().positive().max(100_000).default(1),
        // Memory for written bytes of open files not yet staged; past it they spill to the staging area.
        dirty_limit_mb: z.number().int().min(1).max(65_536).default(32),
      })
      .strict()
      .default({ max_size_gb: 1, dirty_limit_mb: 32 }),
    // The seed's master-replica settings: how often a mount of a master-replica namespace syncs (and, on the
    // master, snapshots), and how many snapshots the store keeps.
    master_replica: z
      .object({
        sync_interval_secs: z.number().int().min(1).max(86_400).default(60),
        snapshot_retention: z.number().int().min(1).max(1000).default(10),
      })
      .strict()
      .default({ sync_interval_secs: 60, snapshot_retention: 10 }),
    mount: z
      .object({
        // Lets users other than the mounting one in (the kernel checks their rights); `--allow-other` too.
        allow_other: z.boolean().default(false),
      })
      .strict()
      .default({ allow_other: false }),
    telegram: z
      .object({ api_id: z.number().int().positive().optional(), api_hash: z.string().min(1).optional() })
      .strict()
      .optional(),
  })
  .strict();

export type Config = z.infer<typeof ConfigSchema>;
export type StoreConfig = Config['store'];

export function parseConfig(text: string, source: string): Config {
  let raw: unknown;
  try {
    raw = parse(text);
  } catch (cause) {
    throw new TgfsError('CONFIG_INVALID', `${source}: not valid YAML: ${(cause as Error).message}`, {
      cause,
    });
  }
  const result = ConfigSchema.safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue && issue.path.length > 0 ? issue.path.join('.') : '(top level)';
    throw new TgfsError('CONFIG_INVALID', `${source}: ${where}: ${issue?.message ?? 'invalid'}`);
  }
  return result.data;
}

export async function readConfig(file: string): Promise<Config> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new TgfsError(
        'HOME_NOT_INITIALISED',
        `no config at ${file}: run \`tgcryptfs machine init\` first`,
        {
          cause,
        },
      );
    }
    throw cause;
  }
  return parseConfig(text, file);
}

export async function writeConfig(file: string, config: Config): Promise<void> {
  const text = `# tgcryptfs configuration (version 2). See docs/configuration.md.\n${stringify(config)}`;
  await writeFile(file, text, { mode: 0o600, flag: 'wx' });
}
