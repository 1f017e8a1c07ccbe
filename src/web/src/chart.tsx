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
    const xs = sorted.map((p) => p.x);
    const hours = (s: number) => s / 3600;
    const data: uPlot.AlignedData = [xs, sorted.map((p) => hours(p.y)), xs.map(() => (p50 === null ? null : hours(p50))), xs.map(() => (p85 === null ? null : hours(p85)))];
    const width = () => Math.max(280, el.clientWidth);
    const plot = new uPlot(
      {
        width: width(),
        height: 220,
        legend: { show: true },
        cursor: { drag: { x: false, y: false } },
        scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(max, 0.01) * 1.1] } },
        axes: [{}, { label: 'hours', values: (_u, ticks) => ticks.map((t) => duration(t * 3600)) , size: 70 }],
        series: [
          {},
          { label: 'claim', stroke: '#1f4e79', fill: undefined, width: 0, paths: () => null, points: { show: true, size: 7, fill: '#1f4e79' } },
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
