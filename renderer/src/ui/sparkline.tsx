/** Latency sparkline of one probe target: recent latencies, failed probes as red ticks. */
import { sparklineGeometry } from './sparkline.ts';
import type { Tone } from './state-badge.ts';

export interface SparklineProps {
  values: readonly (number | null)[];
  width?: number;
  height?: number;
  tone: Tone;
}

export function Sparkline({ values, width = 96, height = 22, tone }: SparklineProps) {
  const g = sparklineGeometry(values, width, height);
  const label =
    values.length === 0
      ? 'no latency history'
      : `latency, last ${values.length} probes, scale 0–${Math.round(g.scaleMaxMs)} ms`;
  return (
    <svg
      className={`sparkline tone-${tone}`}
      width={width}
      height={height}
      viewBox={`0 0 ${width} ${height}`}
      role="img"
      aria-label={label}
    >
      <line className="sparkline-base" x1="0" x2={width} y1={height - 0.5} y2={height - 0.5} />
      {g.paths.map((d, i) => (
        <path key={i} d={d} className="sparkline-line" />
      ))}
      {g.failures.map((x, i) => (
        <line key={`f${i}`} className="sparkline-fail" x1={x} x2={x} y1={height - 7} y2={height} />
      ))}
      {g.last && <circle className="sparkline-end" cx={g.last.x} cy={g.last.y} r="1.8" />}
    </svg>
  );
}
