// Dependency-free SVG charts for the report: line charts (series over time, CDFs on a log x
// axis) and horizontal bar charts.

export interface Series {
  name: string;
  points: [number, number][];
  color?: string;
  dashed?: boolean;
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b'];
const W = 720;
const H = 360;
const M = { l: 70, r: 20, t: 40, b: 50 };

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function nice(v: number): string {
  if (Math.abs(v) >= 1e6) return `${(v / 1e6).toFixed(1)}M`;
  if (Math.abs(v) >= 1e4) return `${Math.round(v / 1e3)}k`;
  if (Math.abs(v) >= 100) return String(Math.round(v));
  return String(Math.round(v * 100) / 100);
}

export function lineChart(o: { title: string; xLabel: string; yLabel: string; series: Series[]; logX?: boolean }): string {
  const pts = o.series.flatMap((s) => s.points).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
  const tx = (x: number) => (o.logX ? Math.log10(Math.max(x, 1e-3)) : x);
  const xs = pts.map(([x]) => tx(x));
  const ys = pts.map(([, y]) => y);
  const x0 = xs.length ? Math.min(...xs) : 0;
  const x1 = xs.length ? Math.max(...xs, x0 + 1e-9) : 1;
  const y0 = Math.min(0, ...ys);
  const y1 = ys.length ? Math.max(...ys, y0 + 1e-9) * 1.05 : 1;
  const px = (x: number) => M.l + ((tx(x) - x0) / (x1 - x0 || 1)) * (W - M.l - M.r);
  const py = (y: number) => H - M.b - ((y - y0) / (y1 - y0 || 1)) * (H - M.t - M.b);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="20" text-anchor="middle" font-size="15">${esc(o.title)}</text>`,
    `<line x1="${M.l}" y1="${H - M.b}" x2="${W - M.r}" y2="${H - M.b}" stroke="#333"/>`,
    `<line x1="${M.l}" y1="${M.t}" x2="${M.l}" y2="${H - M.b}" stroke="#333"/>`,
    `<text x="${W / 2}" y="${H - 10}" text-anchor="middle">${esc(o.xLabel)}</text>`,
    `<text x="15" y="${H / 2}" text-anchor="middle" transform="rotate(-90 15 ${H / 2})">${esc(o.yLabel)}</text>`,
  ];
  for (let i = 0; i <= 5; i++) {
    const yv = y0 + ((y1 - y0) * i) / 5;
    const y = py(yv);
    out.push(`<line x1="${M.l}" y1="${y}" x2="${W - M.r}" y2="${y}" stroke="#eee"/>`);
    out.push(`<text x="${M.l - 5}" y="${y + 4}" text-anchor="end">${nice(yv)}</text>`);
    const xt = x0 + ((x1 - x0) * i) / 5;
    const xv = o.logX ? 10 ** xt : xt;
    out.push(`<text x="${M.l + ((W - M.l - M.r) * i) / 5}" y="${H - M.b + 16}" text-anchor="middle">${nice(xv)}</text>`);
  }
  o.series.forEach((s, i) => {
    const color = s.color ?? COLORS[i % COLORS.length];
    const good = s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
    if (good.length) {
      const d = good.map(([x, y], j) => `${j ? 'L' : 'M'}${px(x).toFixed(1)},${py(y).toFixed(1)}`).join('');
      out.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`);
    }
    out.push(`<rect x="${M.l + 10}" y="${M.t + 5 + i * 16}" width="12" height="3" fill="${color}"/>`);
    out.push(`<text x="${M.l + 26}" y="${M.t + 10 + i * 16}">${esc(s.name)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n');
}

export function barChart(o: { title: string; unit: string; bars: { label: string; value: number; color?: string }[] }): string {
  const h = 60 + o.bars.length * 34;
  const max = Math.max(1e-9, ...o.bars.map((b) => (Number.isFinite(b.value) ? b.value : 0)));
  const left = 220;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${h}" viewBox="0 0 ${W} ${h}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${h}" fill="white"/>`,
    `<text x="${W / 2}" y="20" text-anchor="middle" font-size="15">${esc(o.title)}</text>`,
  ];
  o.bars.forEach((b, i) => {
    const y = 40 + i * 34;
    const v = Number.isFinite(b.value) ? b.value : 0;
    const w = (v / max) * (W - left - 120);
    out.push(`<text x="${left - 8}" y="${y + 17}" text-anchor="end">${esc(b.label)}</text>`);
    out.push(`<rect x="${left}" y="${y}" width="${w.toFixed(1)}" height="24" fill="${b.color ?? COLORS[i % COLORS.length]}"/>`);
    out.push(`<text x="${left + w + 6}" y="${y + 17}">${esc(`${nice(v)} ${o.unit}`)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n');
}
