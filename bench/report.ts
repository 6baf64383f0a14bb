/**
 * Benchmark results: one row per measured figure, next to the baseline measured in the same run, printed as
 * aligned tables and saved as JSON for docs/benchmarks.md. Nothing here asserts: a missed goal is reported.
 */

/** How a figure is read: rates are better high, durations and message counts are better low. */
export type Better = 'higher' | 'lower';

export type Goal =
  | { readonly kind: 'at-least'; readonly value: number }
  | { readonly kind: 'at-most'; readonly value: number }
  | { readonly kind: 'below'; readonly value: number }
  /** tgcryptfs's relative speed against gocryptfs must reach `factor` (1 = as fast, 2 = twice as fast). */
  | { readonly kind: 'vs-gocryptfs'; readonly factor: number };

export interface Row {
  /** Stable id (`group.name`), what `--only` matches and what the JSON is keyed by. */
  readonly id: string;
  readonly label: string;
  readonly unit: string;
  readonly better: Better;
  readonly tgcryptfs: number | undefined;
  readonly baseline: number | undefined;
  readonly gocryptfs?: number | undefined;
  readonly goal?: Goal;
  /** Shown under the table: how the figure was obtained when that is not obvious (extrapolated, failed…). */
  readonly note?: string;
}

export interface GroupResult {
  readonly id: string;
  readonly title: string;
  /** What the baseline column is in this group. */
  readonly baselineMeaning: string;
  readonly rows: Row[];
  readonly notes: string[];
}

/**
 * Relative speed of tgcryptfs against a reference: above 1 tgcryptfs is better, whichever way the unit reads
 * (a rate divided, a duration or count inverted), so every ratio in every table reads the same way.
 */
export function relativeSpeed(row: Row, reference: number | undefined): number | undefined {
  const t = row.tgcryptfs;
  if (t === undefined || reference === undefined || !(t > 0) || !(reference > 0)) return undefined;
  return row.better === 'higher' ? t / reference : reference / t;
}

export function goalMet(row: Row): boolean | undefined {
  const g = row.goal;
  const t = row.tgcryptfs;
  if (g === undefined || t === undefined) return undefined;
  switch (g.kind) {
    case 'at-least':
      return t >= g.value;
    case 'at-most':
      return t <= g.value;
    case 'below':
      return t < g.value;
    case 'vs-gocryptfs': {
      const r = relativeSpeed(row, row.gocryptfs);
      return r === undefined ? undefined : r >= g.factor;
    }
  }
}

export function goalText(row: Row): string {
  const g = row.goal;
  if (g === undefined) return '';
  const target = (() => {
    switch (g.kind) {
      case 'at-least':
        return `≥ ${formatValue(g.value, row.unit)}`;
      case 'at-most':
        return `≤ ${formatValue(g.value, row.unit)}`;
      case 'below':
        return `< ${formatValue(g.value, row.unit)}`;
      case 'vs-gocryptfs':
        return g.factor === 1 ? '≥ gocryptfs' : `≥ ${g.factor}× gocryptfs`;
    }
  })();
  const met = goalMet(row);
  return `${target} ${met === undefined ? '?' : met ? 'met' : 'MISSED'}`;
}

export function formatValue(v: number | undefined, unit: string): string {
  if (v === undefined || Number.isNaN(v)) return '—';
  return `${formatNumber(v)} ${unit}`;
}

function formatNumber(v: number): string {
  const a = Math.abs(v);
  if (Number.isInteger(v) && a < 1e5) return String(v);
  if (a >= 1e6) return `${(v / 1e6).toFixed(2)}M`;
  if (a >= 1e4) return `${(v / 1e3).toFixed(1)}k`;
  if (a >= 100) return v.toFixed(0);
  if (a >= 10) return v.toFixed(1);
  return v.toFixed(2);
}

function formatRatio(r: number | undefined): string {
  return r === undefined ? '—' : `${r >= 10 ? r.toFixed(0) : r >= 0.1 ? r.toFixed(2) : r.toPrecision(2)}×`;
}

export function ratioText(row: Row): string {
  const base = formatRatio(relativeSpeed(row, row.baseline));
  if (row.gocryptfs === undefined) return base;
  return `${base} / ${formatRatio(relativeSpeed(row, row.gocryptfs))}`;
}

const HEADERS = ['benchmark', 'tgcryptfs', 'baseline', 'gocryptfs', 'ratio', 'goal'] as const;

export function tableLines(group: GroupResult): string[] {
  const cells = group.rows.map((r) => [
    r.label,
    formatValue(r.tgcryptfs, r.unit),
    formatValue(r.baseline, r.unit),
    r.gocryptfs === undefined ? '—' : formatValue(r.gocryptfs, r.unit),
    ratioText(r),
    goalText(r),
  ]);
  const widths = HEADERS.map((h, i) => Math.max(h.length, ...cells.map((c) => [...c[i]!].length)));
  const line = (c: readonly string[]) =>
    c
      .map((s, i) => (i === 0 ? padEnd(s, widths[i]!) : padStart(s, widths[i]!)))
      .join(' | ')
      .trimEnd();
  const out = [`## ${group.title}`, `baseline: ${group.baselineMeaning}`, line(HEADERS)];
  out.push(widths.map((w) => '-'.repeat(w)).join('-|-'));
  for (const c of cells) out.push(line(c));
  const notes = [
    ...group.rows.filter((r) => r.note !== undefined).map((r) => `${r.label}: ${r.note}`),
    ...group.notes,
  ];
  for (const n of notes) out.push(`  * ${n}`);
  return out;
}

/** Same table as Markdown, for pasting into docs/benchmarks.md. */
export function markdownLines(group: GroupResult): string[] {
  const out = [
    `| ${HEADERS.join(' | ')} |`,
    `|${HEADERS.map((_, i) => (i === 0 ? ' --- ' : ' ---: ')).join('|')}|`,
  ];
  for (const r of group.rows) {
    const c = [
      r.label,
      formatValue(r.tgcryptfs, r.unit),
      formatValue(r.baseline, r.unit),
      r.gocryptfs === undefined ? '—' : formatValue(r.gocryptfs, r.unit),
      ratioText(r),
      goalText(r),
    ];
    out.push(`| ${c.join(' | ')} |`);
  }
  return out;
}

// Column widths count code points, so `≥` and `—` line up like ASCII.
function padEnd(s: string, w: number): string {
  return s + ' '.repeat(Math.max(0, w - [...s].length));
}
function padStart(s: string, w: number): string {
  return ' '.repeat(Math.max(0, w - [...s].length)) + s;
}
