/**
 * Prometheus text exposition (format 0.0.4) read back and merged: the edge's /metrics federates
 * its mappers' /metrics into one page. A page may hold each metric family once (one HELP, one
 * TYPE, its samples together), so a family that several processes export (`process_cpu_seconds_total`,
 * `kedge_modbus_requests_total` of two mappers) is written once with every process's samples,
 * each set of samples told apart by a label (`mapper="line-3-modbus"`).
 */

export interface MetricFamily {
  name: string;
  help: string | undefined;
  type: string;
  /** Sample lines as they were written (`name{labels} value [timestamp]`). */
  samples: string[];
}

const SUFFIXES = ['_bucket', '_sum', '_count', '_created', '_total', '_info'];

/** The families of one page, in page order. Lines that are neither comments nor samples are skipped. */
export function parseExposition(text: string): MetricFamily[] {
  const families = new Map<string, MetricFamily>();
  let current: MetricFamily | undefined;
  const family = (name: string): MetricFamily => {
    let f = families.get(name);
    if (!f) families.set(name, (f = { name, help: undefined, type: 'untyped', samples: [] }));
    return f;
  };
  for (const raw of text.split('\n')) {
    const line = raw.trimEnd();
    if (line === '') continue;
    if (line.startsWith('#')) {
      const m = /^#\s+(HELP|TYPE)\s+([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\s+(.*))?$/.exec(line);
      if (!m) continue;
      current = family(m[2]!);
      if (m[1] === 'HELP') current.help = m[3] ?? '';
      else current.type = m[3] ?? 'untyped';
      continue;
    }
    const name = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line)?.[0];
    if (!name) continue;
    const owner = current && belongsTo(name, current.name) ? current : family(familyName(name, families));
    owner.samples.push(line);
  }
  return [...families.values()];
}

function belongsTo(sample: string, familyName: string): boolean {
  return sample === familyName || SUFFIXES.some((s) => sample === familyName + s);
}

function familyName(sample: string, known: ReadonlyMap<string, MetricFamily>): string {
  for (const s of SUFFIXES)
    if (sample.endsWith(s) && known.has(sample.slice(0, -s.length))) return sample.slice(0, -s.length);
  return sample;
}

/** A sample line with `name="value"` added as its first label. */
export function withLabel(sample: string, name: string, value: string): string {
  const label = `${name}="${escapeLabelValue(value)}"`;
  const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{)?/.exec(sample)!;
  if (m[2]) {
    const rest = sample.slice(m[0].length);
    return `${m[1]}{${label}${rest.startsWith('}') ? '' : ','}${rest}`;
  }
  return `${m[1]}{${label}}${sample.slice(m[1]!.length)}`;
}

export function escapeLabelValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

/**
 * Adds `extra`'s families to `into` (in place): samples of a family both have are appended to
 * `into`'s; a family of the same name and another type cannot share the name and is renamed
 * `<name>_<type>` in `extra`'s samples' stead (kept, not silently dropped).
 */
export function mergeFamilies(into: MetricFamily[], extra: MetricFamily[]): void {
  const byName = new Map(into.map((f) => [f.name, f]));
  for (const f of extra) {
    const have = byName.get(f.name);
    if (!have) {
      const copy = { ...f, samples: [...f.samples] };
      into.push(copy);
      byName.set(f.name, copy);
    } else if (have.type === f.type) {
      have.samples.push(...f.samples);
    } else {
      const renamed = `${f.name}_${f.type}`;
      const samples = f.samples.map((s) => renamed + s.slice(f.name.length));
      mergeFamilies(into, [{ name: renamed, help: f.help, type: f.type, samples }]);
    }
  }
}

export function writeExposition(families: readonly MetricFamily[]): string {
  const out: string[] = [];
  for (const f of families) {
    if (f.samples.length === 0 && f.help === undefined) continue;
    if (f.help !== undefined) out.push(`# HELP ${f.name} ${f.help}`);
    out.push(`# TYPE ${f.name} ${f.type}`);
    out.push(...f.samples);
    out.push('');
  }
  return out.join('\n');
}
