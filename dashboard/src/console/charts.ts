// uPlot time-series charts, one per live figure, keeping the last few minutes.
import uPlot from 'uplot';

const KEEP = 300;
const COLORS = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2', '#4b5563', '#ca8a04'];

export class Chart {
  private plot: uPlot | null = null;
  private readonly xs: number[] = [];
  private ys: (number | null)[][] = [];
  private names: string[] = [];
  private readonly el: HTMLElement;
  private readonly title: string;
  private readonly unit: string;
  constructor(el: HTMLElement, title: string, unit: string) {
    this.el = el;
    this.title = title;
    this.unit = unit;
  }

  /** Add one point per series; a new set of series names restarts the chart. */
  push(t: number, values: Record<string, number | null>): void {
    const names = Object.keys(values);
    if (names.join('\u0000') !== this.names.join('\u0000')) this.reset(names);
    this.xs.push(t / 1000);
    for (const [i, n] of names.entries()) this.ys[i]!.push(values[n] ?? null);
    if (this.xs.length > KEEP) {
      this.xs.shift();
      for (const y of this.ys) y.shift();
    }
    this.plot?.setData([this.xs, ...this.ys] as uPlot.AlignedData);
  }

  private reset(names: string[]): void {
    this.plot?.destroy();
    this.names = names;
    this.xs.length = 0;
    this.ys = names.map(() => []);
    const width = Math.max(260, this.el.clientWidth || 360);
    this.plot = new uPlot(
      {
        title: this.title,
        width,
        height: 170,
        legend: { show: true },
        scales: { x: { time: true }, y: { range: (_u, min, max) => [Math.min(0, min), Math.max(1, max * 1.1)] } },
        axes: [{}, { label: this.unit, size: 50 }],
        series: [{}, ...names.map((n, i) => ({ label: n, stroke: COLORS[i % COLORS.length], width: 2, spanGaps: true }))],
      },
      [this.xs, ...this.ys] as uPlot.AlignedData,
      this.el,
    );
  }
}
