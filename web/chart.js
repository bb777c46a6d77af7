// Small SVG charts of a key's requests per hour (168 hours, oldest first):
// a sparkline for the list and a bar chart for the details. Drawn with DOM
// calls (no HTML, no inline style: the CSP allows neither); colours come
// from style.css. Each chart is an image with its numbers said in words.

import { dayFormat } from './ui.js';

const SVG = 'http://www.w3.org/2000/svg';

function svg(tag, attrs = {}, children = []) {
  const n = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, String(v));
  for (const c of children) n.append(c);
  return n;
}

export function total(requests) {
  return requests.reduce((a, b) => a + b, 0);
}

// Sums of `size` hours each.
function buckets(requests, size) {
  const out = [];
  for (let i = 0; i < requests.length; i += size) out.push(total(requests.slice(i, i + size)));
  return out;
}

// The 7 days of the window, each {start: Date, requests}.
export function days(startIso, requests) {
  const start = new Date(startIso).getTime();
  return buckets(requests, 24).map((n, i) => ({ start: new Date(start + i * 24 * 3600_000), requests: n }));
}

function bars(values, width, height, className) {
  const max = Math.max(1, ...values);
  const w = width / values.length;
  return values.map((v, i) => {
    const h = v === 0 ? 0 : Math.max(1.5, (v / max) * height);
    return svg('rect', {
      x: (i * w + w * 0.1).toFixed(2), y: (height - h).toFixed(2),
      width: (w * 0.8).toFixed(2), height: h.toFixed(2), class: className,
    });
  });
}

// 42 bars of 4 hours each, 96x24: the shape of the week at a glance.
export function sparkline(requests, label) {
  const values = buckets(requests, 4);
  return svg('svg', {
    class: 'sparkline', viewBox: '0 0 96 24', width: 96, height: 24, role: 'img', 'aria-label': label,
    focusable: 'false',
  }, [svg('line', { x1: 0, y1: 23.5, x2: 96, y2: 23.5, class: 'baseline' }), ...bars(values, 96, 23, 'bar')]);
}

// One bar an hour, a line and a label a day.
export function hourChart(startIso, requests, label) {
  const W = 672;
  const H = 140;
  const plot = 116;
  const start = new Date(startIso).getTime();
  const parts = [svg('title', {}, [label])];
  for (let d = 0; d <= 7; d++) {
    const x = Math.min(W - 0.5, d * 96 + 0.5);
    parts.push(svg('line', { x1: x, y1: 0, x2: x, y2: plot, class: 'grid' }));
    if (d < 7) {
      const t = svg('text', { x: d * 96 + 48, y: H - 6, class: 'tick', 'text-anchor': 'middle' });
      t.textContent = dayFormat.format(new Date(start + d * 24 * 3600_000));
      parts.push(t);
    }
  }
  parts.push(svg('line', { x1: 0, y1: plot + 0.5, x2: W, y2: plot + 0.5, class: 'baseline' }));
  parts.push(...bars(requests, W, plot - 4, 'bar').map((r) => {
    r.setAttribute('y', String(Number(r.getAttribute('y')) + 4));
    return r;
  }));
  return svg('svg', {
    class: 'hour-chart', viewBox: `0 0 ${W} ${H}`, preserveAspectRatio: 'none', role: 'img', 'aria-label': label,
    focusable: 'false',
  }, parts);
}
