/**
 * Replication lag over the last hour, bytes and seconds, one line per database node. Buffers
 * come from the series store (bounded); each line is min/max-downsampled to the chart's width
 * before it reaches recharts, so a day-long session draws the same few hundred points.
 */
import { memo, useMemo } from 'react';
import { CartesianGrid, Line, LineChart, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { SeriesMetric, SeriesPoint } from '../../../../shared/status.ts';
import { downsampleMinMax } from './downsample.ts';
import { formatBytes, formatBytesAxis, formatClock, formatSeconds } from '../../ui/format.ts';
import { timeTicks } from './chart-ticks.ts';
import { seriesBufferKey } from './series-buffer.ts';
import { chartWindowMs } from './overview-sync.ts';
import { useSeriesStore } from './series-store.ts';

/** Points per line handed to recharts (about 2 per horizontal pixel of a half-width chart). */
const displayPoints = 400;

/** One colour per node, in order; distinct from the state tones. */
export const nodePalette = ['#6cb6ff', '#d2a8ff', '#56d4dd', '#f0b72f', '#ff9bce'];

export interface LagChartProps {
  env: string;
  /** Database nodes, in palette order (role shown in the legend). */
  nodes: { name: string; role: string }[];
  /** Page clock, epoch ms (series times are host times; same machine in both hosts). */
  now: number;
  rpoObjectiveSeconds: number;
}

/** The chart redraws at most this often, ms: at one hour per ~800 px the axis moves < 1 px. */
const redrawEveryMs = 2000;

const formatSecondsAxis = (v: number): string => formatSeconds(v).replace(' s', 's');

export function LagChart({ env, nodes, now, rpoObjectiveSeconds }: LagChartProps) {
  const buffers = useSeriesStore((s) => s.buffers);
  // Quantised clock: the parent re-renders every second, the charts only every redrawEveryMs
  // (recharts re-layout is the dashboard's most expensive render; idle CPU matters).
  const to = Math.floor(now / redrawEveryMs) * redrawEveryMs;
  const from = to - chartWindowMs;
  const nodeKey = nodes.map((n) => n.name).join(',');
  const filled = nodes.filter(
    (n) => (buffers[seriesBufferKey(env, 'replication-lag-bytes', n.name)]?.length ?? 0) > 0,
  ).length;
  const lines = useMemo(() => {
    const build = (metric: SeriesMetric) =>
      nodes.map((node, i) => ({
        node: node.name,
        color: nodePalette[i % nodePalette.length]!,
        points: downsampleMinMax(buffers[seriesBufferKey(env, metric, node.name)] ?? [], displayPoints, { from, to }),
      }));
    return { bytes: build('replication-lag-bytes'), seconds: build('replication-lag-seconds') };
    // Recomputed per redraw tick (and when the node set or the number of filled buffers
    // changes), deliberately not on every sample: samples land at most one redraw late.
  }, [to, env, nodeKey, filled]);
  const empty = [...lines.bytes, ...lines.seconds].every((l) => l.points.length === 0);
  // for tests and for people reading the DOM: how many points are drawn and how far back
  const drawn = lines.bytes.reduce((n, l) => n + l.points.length, 0);
  const oldest = lines.bytes.reduce(
    (t, l) => (l.points.length > 0 ? Math.min(t, l.points[0]!.t) : t),
    Number.POSITIVE_INFINITY,
  );
  return (
    <div
      className="lag-chart"
      data-testid="lag-chart"
      data-points={drawn}
      data-oldest={Number.isFinite(oldest) ? oldest : 0}
    >
      <div className="chart-legend">
        {nodes.map((n, i) => (
          <span key={n.name} className="legend-item">
            <span className="legend-swatch" style={{ background: nodePalette[i % nodePalette.length] }} />
            {n.name}
            <span className="muted">{n.role}</span>
          </span>
        ))}
        <span className="muted small">last hour · live</span>
      </div>
      {empty ? (
        <p className="muted chart-empty">No lag samples yet for this environment.</p>
      ) : (
        <div className="charts-row">
          <MetricChart
            title="lag, bytes"
            lines={lines.bytes}
            from={from}
            to={to}
            format={formatBytes}
            axis={formatBytesAxis}
            referenceY={0}
            referenceLabel=""
            minSpan={1024}
          />
          <MetricChart
            title="lag, seconds"
            lines={lines.seconds}
            from={from}
            to={to}
            format={formatSeconds}
            axis={formatSecondsAxis}
            referenceY={rpoObjectiveSeconds}
            referenceLabel={`RPO ${rpoObjectiveSeconds} s`}
          />
        </div>
      )}
    </div>
  );
}

interface MetricChartProps {
  title: string;
  lines: { node: string; color: string; points: SeriesPoint[] }[];
  from: number;
  to: number;
  format: (v: number) => string;
  axis: (v: number) => string;
  /** Dashed objective line, same unit as the series; 0 = none. */
  referenceY: number;
  referenceLabel: string;
  /** Smallest top of the y axis (so an all-zero series shows a readable 0…1 KiB scale). */
  minSpan?: number;
}

/** One metric over the window; memoised so it redraws only when its inputs change. */
const MetricChart = memo(function MetricChart({
  title,
  lines,
  from,
  to,
  format,
  axis,
  referenceY,
  referenceLabel,
  minSpan = 1,
}: MetricChartProps) {
  const ticks = useMemo(() => timeTicks(from, to, 10 * 60 * 1000), [from, to]);
  return (
    <figure className="metric-chart">
      <figcaption className="small muted">{title}</figcaption>
      <ResponsiveContainer width="100%" height={132}>
        <LineChart margin={{ top: 6, right: 12, bottom: 0, left: 0 }}>
          <CartesianGrid stroke="var(--grid)" vertical={false} />
          <XAxis
            dataKey="t"
            type="number"
            scale="time"
            domain={[from, to]}
            tickFormatter={formatClock}
            ticks={ticks}
            stroke="var(--axis)"
            tick={{ fontSize: 10 }}
            allowDataOverflow
          />
          <YAxis
            width={46}
            tickFormatter={axis}
            stroke="var(--axis)"
            tick={{ fontSize: 10 }}
            allowDecimals
            // Keep the objective on screen: how close the line runs to it is the point.
            domain={[
              0,
              (dataMax: number) => Math.max(Number.isFinite(dataMax) ? dataMax : 0, referenceY * 1.15, minSpan),
            ]}
          />
          <Tooltip
            isAnimationActive={false}
            labelFormatter={(t) => new Date(Number(t)).toLocaleTimeString()}
            formatter={(v, name) => [v === null || v === undefined ? 'no data' : format(Number(v)), String(name)]}
            contentStyle={{ background: 'var(--panel-raised)', border: '1px solid var(--border-strong)', fontSize: 12 }}
          />
          {referenceY > 0 && (
            <ReferenceLine
              y={referenceY}
              stroke="var(--warn)"
              strokeDasharray="4 3"
              label={{ value: referenceLabel, position: 'insideTopRight', fill: 'var(--warn)', fontSize: 10 }}
            />
          )}
          {lines.map((l) => (
            <Line
              key={l.node}
              data={l.points}
              dataKey="v"
              name={l.node}
              stroke={l.color}
              dot={false}
              strokeWidth={1.5}
              isAnimationActive={false}
              connectNulls={false}
            />
          ))}
        </LineChart>
      </ResponsiveContainer>
    </figure>
  );
});
