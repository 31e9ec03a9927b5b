// What a heap grew by between two snapshots of one process (test/load/heap-probe.ts, HEAP_SNAPSHOT_AT): the
// objects in the later snapshot whose ids the earlier one does not have, i.e. allocated in between and still
// alive after a full GC. Grouped by constructor (or node type for strings, arrays, closures…), largest first,
// with the retainer path of a few of each group's objects up to a GC root, so that the owner of a leak shows.
//   node test/load/heap-diff.ts <earlier.heapsnapshot> <later.heapsnapshot> [--top 25] [--paths 3] [--depth 12]
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values: flags, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    top: { type: 'string', default: '25' },
    paths: { type: 'string', default: '3' },
    depth: { type: 'string', default: '12' },
  },
});
if (positionals.length !== 2) {
  console.error(
    'usage: heap-diff.ts <earlier.heapsnapshot> <later.heapsnapshot> [--top N] [--paths N] [--depth N]',
  );
  process.exit(2);
}

interface Snapshot {
  snapshot: {
    meta: {
      node_fields: string[];
      node_types: [string[], ...unknown[]];
      edge_fields: string[];
      edge_types: [string[], ...unknown[]];
    };
  };
  nodes: number[];
  edges: number[];
  strings: string[];
}

function load(path: string): Snapshot {
  return JSON.parse(readFileSync(path, 'utf8')) as Snapshot;
}

const earlier = load(positionals[0]!);
const earlierIds = new Set<number>();
{
  const width = earlier.snapshot.meta.node_fields.length;
  const idAt = earlier.snapshot.meta.node_fields.indexOf('id');
  for (let i = 0; i < earlier.nodes.length; i += width) earlierIds.add(earlier.nodes[i + idAt]!);
}

const later = load(positionals[1]!);
const { meta } = later.snapshot;
const width = meta.node_fields.length;
const f = (name: string) => meta.node_fields.indexOf(name);
const [TYPE, NAME, ID, SIZE, EDGES] = [f('type'), f('name'), f('id'), f('self_size'), f('edge_count')];
const nodeTypes = meta.node_types[0];
const edgeWidth = meta.edge_fields.length;
const [ETYPE, ENAME, ETO] = [
  meta.edge_fields.indexOf('type'),
  meta.edge_fields.indexOf('name_or_index'),
  meta.edge_fields.indexOf('to_node'),
];
const edgeTypes = meta.edge_types[0];
const { nodes, edges, strings } = later;
const nodeCount = nodes.length / width;

// Reverse edges: the first strong retainer of each node (enough for a path; weak edges are not retention).
const retainer = new Int32Array(nodeCount).fill(-1);
const retainerEdge = new Int32Array(nodeCount).fill(-1);
for (let n = 0, e = 0; n < nodeCount; n++) {
  const count = nodes[n * width + EDGES]!;
  for (let k = 0; k < count; k++, e += edgeWidth) {
    const type = edgeTypes[edges[e + ETYPE]!];
    if (type === 'weak' || type === 'shortcut') continue;
    const to = edges[e + ETO]! / width;
    if (retainer[to] === -1) {
      retainer[to] = n;
      retainerEdge[to] = e;
    }
  }
}

const label = (n: number) => {
  const type = nodeTypes[nodes[n * width + TYPE]!]!;
  const name = strings[nodes[n * width + NAME]!]!;
  return type === 'object' || type === 'closure' ? `${type}:${name.slice(0, 60)}` : type;
};
const edgeLabel = (e: number) => {
  const type = edgeTypes[edges[e + ETYPE]!];
  const raw = edges[e + ENAME]!;
  return type === 'element' || type === 'hidden' ? `[${raw}]` : `.${strings[raw]}`;
};

const groups = new Map<string, { count: number; bytes: number; samples: number[] }>();
let newBytes = 0;
let newCount = 0;
for (let n = 0; n < nodeCount; n++) {
  if (earlierIds.has(nodes[n * width + ID]!)) continue;
  const bytes = nodes[n * width + SIZE]!;
  newBytes += bytes;
  newCount++;
  const key = label(n);
  const group = groups.get(key) ?? { count: 0, bytes: 0, samples: [] };
  group.count++;
  group.bytes += bytes;
  // Spread the samples over the group rather than taking its first few.
  if (group.samples.length < Number(flags.paths) || Math.random() < 0.001) {
    if (group.samples.length >= Number(flags.paths)) group.samples.shift();
    group.samples.push(n);
  }
  groups.set(key, group);
}

console.log(
  `${positionals[1]} vs ${positionals[0]}: ${newCount} new objects alive, ${(newBytes / 1e6).toFixed(1)} MB self size\n`,
);
const top = [...groups.entries()].sort((a, b) => b[1].bytes - a[1].bytes).slice(0, Number(flags.top));
for (const [key, group] of top) {
  console.log(`${(group.bytes / 1e6).toFixed(2).padStart(8)} MB ${String(group.count).padStart(8)} × ${key}`);
  for (const sample of group.samples) {
    const path: string[] = [];
    for (let n = sample, d = 0; d < Number(flags.depth) && retainer[n] !== -1; d++) {
      path.push(`${edgeLabel(retainerEdge[n]!)} ← ${label(retainer[n]!)}`);
      n = retainer[n]!;
    }
    console.log(`           ${path.join('  ')}`);
  }
}
