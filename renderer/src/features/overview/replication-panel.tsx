/** Databases: the lag chart and one row per node with its current lag. */
import type { ViewClock } from '../../ui/age.ts';
import type { DbNodeStatus } from '../../../../shared/status.ts';
import { DbNodeRow } from './db-node-row.tsx';
import { LagChart, nodePalette } from './lag-chart.tsx';

export interface ReplicationPanelProps {
  env: string;
  databases: DbNodeStatus[];
  now: number;
  clock: ViewClock;
  rpoObjectiveSeconds: number;
}

export function ReplicationPanel({ env, databases, now, clock, rpoObjectiveSeconds }: ReplicationPanelProps) {
  const nodes = databases.map((d) => ({ name: d.name, role: d.role }));
  return (
    <section className="card replication-panel" aria-label="Replication">
      <header className="card-head">
        <h2>Replication</h2>
        <span className="muted small">role from pg_is_in_recovery(), lag = primary LSN − replay LSN</span>
      </header>
      {databases.length === 0 ? (
        <p className="muted">No databases configured for this environment.</p>
      ) : (
        <div className="replication-body">
          <LagChart env={env} nodes={nodes} now={now} rpoObjectiveSeconds={rpoObjectiveSeconds} />
          <table className="db-table">
            <thead>
              <tr>
                <th scope="col">node</th>
                <th scope="col">role</th>
                <th scope="col">state</th>
                <th scope="col" className="num">
                  lag bytes
                </th>
                <th scope="col" className="num">
                  lag time
                </th>
                <th scope="col">detail</th>
              </tr>
            </thead>
            <tbody>
              {databases.map((d, i) => (
                <DbNodeRow key={d.name} node={d} color={nodePalette[i % nodePalette.length]!} clock={clock} />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
