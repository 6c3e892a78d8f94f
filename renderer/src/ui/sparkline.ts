/**
 * Geometry of the per-slot latency sparkline (an SVG path, no chart library: dozens of these
 * redraw every second and must stay cheap).
 */

export interface SparklineGeometry {
  /** SVG path `d` strings, one per run of completed probes (a failed probe breaks the line). */
  paths: string[];
  /** x positions of failed probes (`null` latencies), drawn as marks on the baseline. */
  failures: number[];
  /** Last completed point, for the end dot; null when the last probe failed or no data. */
  last: { x: number; y: number } | null;
  /** Top of the y scale, ms (the largest latency, at least `minScaleMs`). */
  scaleMaxMs: number;
}

/**
 * Lay out latencies (ms, oldest first, null = failed probe) in a `width` × `height` box.
 * The y axis starts at 0 ms so a small wobble does not look like a spike.
 *
 * @param minScaleMs lower bound of the y scale's top, ms (keeps 1–2 ms noise flat)
 */
export function sparklineGeometry(
  values: readonly (number | null)[],
  width: number,
  height: number,
  minScaleMs = 20,
): SparklineGeometry {
  const scaleMaxMs = Math.max(minScaleMs, ...values.filter((v): v is number => v !== null && Number.isFinite(v)));
  const n = values.length;
  const step = n > 1 ? width / (n - 1) : 0;
  const pad = 1;
  const y = (v: number): number => round(height - pad - (Math.min(v, scaleMaxMs) / scaleMaxMs) * (height - 2 * pad));
  const paths: string[] = [];
  const failures: number[] = [];
  let current = '';
  let last: { x: number; y: number } | null = null;
  values.forEach((v, i) => {
    const x = round(n > 1 ? i * step : width);
    if (v === null || !Number.isFinite(v)) {
      failures.push(x);
      if (current) paths.push(current);
      current = '';
      last = null;
      return;
    }
    const py = y(v);
    current += current ? ` L${x} ${py}` : `M${x} ${py}`;
    last = { x, y: py };
  });
  if (current) paths.push(current);
  return { paths, failures, last, scaleMaxMs };
}

const round = (v: number): number => Math.round(v * 10) / 10;
