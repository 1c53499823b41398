/** The targets of issue 3 and the human-readable report: each figure next to its target, PASS/FAIL. */

export interface Check {
  name: string;
  value: number;
  unit: string;
  /** `max`: the value must be at most `target`; `min`: at least. */
  kind: 'max' | 'min';
  target: number;
  pass: boolean;
}

export function check(name: string, value: number, unit: string, kind: 'max' | 'min', target: number): Check {
  const pass = Number.isFinite(value) && (kind === 'max' ? value <= target : value >= target);
  return { name, value, unit, kind, target, pass };
}

const fmt = (v: number) => (Number.isFinite(v) ? (Math.abs(v) >= 100 ? String(Math.round(v)) : String(Math.round(v * 10) / 10)) : 'n/a');

/** Rows of [label, value] under a heading; checks as aligned lines with their verdicts. */
export function renderTable(sections: { title: string; rows: [string, string][] }[], checks: Check[]): string {
  const lines: string[] = [];
  const width = Math.max(...sections.flatMap((s) => s.rows.map(([k]) => k.length)), 10);
  for (const s of sections) {
    lines.push('', s.title);
    for (const [k, v] of s.rows) lines.push(`  ${k.padEnd(width)}  ${v}`);
  }
  const nameWidth = Math.max(...checks.map((c) => c.name.length));
  lines.push('', 'Targets');
  for (const c of checks) {
    const value = `${fmt(c.value)} ${c.unit}`;
    const target = `${c.kind === 'max' ? '≤' : '≥'} ${fmt(c.target)} ${c.unit}`;
    lines.push(`  ${c.name.padEnd(nameWidth)}  ${value.padStart(14)}   target ${target.padEnd(16)} ${c.pass ? 'PASS' : 'FAIL'}`);
  }
  const failed = checks.filter((c) => !c.pass).length;
  lines.push('', `${checks.length - failed} of ${checks.length} targets met${failed ? ` (${failed} missed)` : ''}`);
  return lines.join('\n');
}

export const f = fmt;
