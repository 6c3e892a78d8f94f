/** The diff of one step: target, before → after (DNS: one row per provider). */
import type { StepChange } from '../../../../shared/runs/step-plan.ts';
import { changeRow } from './run-plan-view.ts';

export function RunChangeTable({ stepId, changes }: { stepId: string; changes: StepChange[] }) {
  const rows = changes.map(changeRow);
  return (
    <table className="change-table">
      <colgroup>
        <col className="col-target" />
        <col className="col-before" />
        <col className="col-arrow" />
        <col className="col-after" />
      </colgroup>
      <thead>
        <tr>
          <th scope="col">target</th>
          <th scope="col">now</th>
          <th scope="col" aria-label="becomes" />
          <th scope="col">after</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r, i) => (
          <tr
            key={i}
            className={r.unchanged ? 'is-unchanged' : undefined}
            data-testid={`plan-change-${stepId}`}
            data-target={changes[i]!.target}
          >
            <th scope="row" className="change-target">
              {r.scope && <span className="change-scope">{r.scope}</span>}
              <span className="mono">{r.subject}</span>
            </th>
            <td className={`change-before mono value-${r.beforeKind}`}>{r.before}</td>
            <td className="change-arrow" aria-hidden="true">
              →
            </td>
            <td className={`change-after mono value-${r.afterKind}`}>
              {r.after}
              {r.unchanged && <span className="muted small"> (no change)</span>}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
