// The bench's plot: `node bench/plot.mjs RESULTS_JSON OUT_SVG` draws, with
// gnuplot (Debian's gnuplot-nox), the requests a second and the p99 latency
// of every wrk scenario of one `make bench` run (bench/run writes
// results.json), and the worker sweep when there is one.  Called by
// bench/run; the SVG goes in bench/results/ and docs/performance.md.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';

const [input, output] = process.argv.slice(2);
if (!input || !output) {
  console.error('usage: node bench/plot.mjs RESULTS_JSON OUT_SVG');
  process.exit(2);
}
const results = JSON.parse(fs.readFileSync(input, 'utf8'));
const all = Object.entries(results.scenarios).filter(([, s]) => s.kind === 'wrk' && s.rps > 0);
const sweep = all.filter(([name]) => /_w\d+$/.test(name));
const scenarios = all.filter(([name]) => !/_w\d+$/.test(name));

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keyfin-plot-'));
// gnuplot reads labels in double quotes: none inside
const label = (s) => s.label.replaceAll('"', "'");
fs.writeFileSync(path.join(dir, 'scenarios.dat'), scenarios.map(([, s], i) =>
  `${i} "${label(s)}" ${s.rps} ${(s.p99_us / 1000).toFixed(3)}`).join('\n') + '\n');
const counts = [...new Set(sweep.map(([name]) => Number(name.match(/_w(\d+)$/)[1])))].sort((a, b) => a - b);
const at = (kind, n) => results.scenarios[`${kind}_w${n}`] || { rps: 0, p99_us: 0 };
fs.writeFileSync(path.join(dir, 'sweep.dat'), counts.map((n) =>
  `${n} ${at('minimal', n).rps} ${(at('minimal', n).p99_us / 1000).toFixed(3)} ` +
  `${at('verify', n).rps} ${(at('verify', n).p99_us / 1000).toFixed(3)}`).join('\n') + '\n');

const rows = scenarios.length;
const height = 260 + rows * 34 + (counts.length ? 360 : 0);
const program = `
set terminal svg size 1100,${height} dynamic noenhanced font 'sans,11' background rgb 'white'
set output '${output}'
set datafile separator whitespace
set multiplot layout ${counts.length ? 3 : 2},1 title "keyfin make bench: ${results.started} (${results.machine.replaceAll('"', "'")})"
set style fill solid 0.8 border -1
set style data histograms
set boxwidth 0.7
set grid xtics
set ytics nomirror
set yrange [-0.6:${rows - 0.4}] reverse
set title 'requests a second (wrk, ${results.connections} connections unless the label says)'
plot '${dir}/scenarios.dat' using 3:1:(0):3:($1-0.35):($1+0.35):ytic(2) with boxxyerror lc rgb '#3b6ea8' notitle
set title 'p99 latency, ms'
plot '${dir}/scenarios.dat' using 4:1:(0):4:($1-0.35):($1+0.35):ytic(2) with boxxyerror lc rgb '#c0504d' notitle
${counts.length ? `
set yrange [*:*] noreverse
set xrange [*:*]
set logscale x 2
set xtics (${counts.join(',')})
set xlabel 'processes (keyfin workers = hello processes = nginx workers)'
set ylabel 'requests a second'
set y2label 'p99 ms'
set y2tics
set title 'worker sweep: the minimal ceiling and keyfin key-verify'
plot '${dir}/sweep.dat' using 1:2 with linespoints lw 2 lc rgb '#7f7f7f' title 'minimal ceiling rps', \\
     '' using 1:4 with linespoints lw 2 lc rgb '#3b6ea8' title 'keyfin rps', \\
     '' using 1:3 axes x1y2 with linespoints dt 2 lc rgb '#7f7f7f' title 'minimal p99', \\
     '' using 1:5 axes x1y2 with linespoints dt 2 lc rgb '#c0504d' title 'keyfin p99'
` : ''}
unset multiplot
`;
try {
  execFileSync('gnuplot', { input: program, stdio: ['pipe', 'inherit', 'inherit'] });
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
