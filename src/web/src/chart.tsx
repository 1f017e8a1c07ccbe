import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { duration } from './format.ts';

export interface ScatterPoint {
  x: number; // unix seconds
  y: number; // seconds
}

/** Time to verdict per claim, with the 50th and 85th percentile as lines (durations are not normally distributed). */
export function VerdictScatter({ points, p50, p85, label }: { points: ScatterPoint[]; p50: number | null; p85: number | null; label: string }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el || points.length === 0) return;
    const sorted = [...points].sort((a, b) => a.x - b.x);
    const first = sorted[0]?.x ?? 0;
    const last = sorted[sorted.length - 1]?.x ?? first;
    // Padding on both sides, with the percentile lines drawn across it, so one verdict is still a readable chart.
    const pad = Math.max(600, (last - first) * 0.05);
    const xs = [first - pad, ...sorted.map((p) => p.x), last + pad];
    const ys = [null, ...sorted.map((p) => p.y), null];
    const line = (v: number | null) => xs.map(() => v);
    const data: uPlot.AlignedData = [xs, ys, line(p50), line(p85)];
    const width = () => Math.max(280, el.clientWidth);
    const plot = new uPlot(
      {
        width: width(),
        height: 220,
        legend: { show: true, live: false },
        cursor: { drag: { x: false, y: false } },
        scales: { x: { time: true, range: [first - pad, last + pad] }, y: { range: (_u, _min, max) => [0, Math.max(max, 60) * 1.15] } },
        axes: [{}, { values: (_u, ticks) => ticks.map((t) => duration(t)), size: 70 }],
        series: [
          {},
          { label: 'claim', stroke: '#1f4e79', width: 0, paths: () => null, points: { show: true, size: 7, fill: '#1f4e79' } },
          { label: 'p50', stroke: '#2e7d32', width: 1.5, dash: [6, 4], points: { show: false } },
          { label: 'p85', stroke: '#b26a00', width: 1.5, dash: [2, 3], points: { show: false } },
        ],
      },
      data,
      el,
    );
    const ro = new ResizeObserver(() => plot.setSize({ width: width(), height: 220 }));
    ro.observe(el);
    return () => {
      ro.disconnect();
      plot.destroy();
    };
  }, [points, p50, p85]);
  return <div ref={box} className="chart" role="img" aria-label={label} />;
}
