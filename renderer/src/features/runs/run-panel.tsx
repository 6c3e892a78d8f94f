/** One run: the live step timeline (left), its status, result and actions (right). */
import { attentionOf } from './run-history.ts';
import { useRunsStore } from './runs-store.ts';
import { DataNotice } from '../../ui/data-notice.tsx';
import { RunDnsNow } from './run-dns-now.tsx';
import { RunStatusCard } from './run-status-card.tsx';
import { RunTimeline } from './run-timeline.tsx';

export function RunPanel({ runId }: { runId: string }) {
  const tl = useRunsStore((s) => s.timelines[runId]);
  const error = useRunsStore((s) => s.openRunError);
  const close = useRunsStore((s) => s.closeRun);
  const interrupted = useRunsStore((s) => {
    const t = s.timelines[runId];
    return (
      t !== undefined &&
      attentionOf(
        { runId, status: t.status },
        s.lock && s.lock.env === t.env ? s.lock : null,
        s.inFlight[runId] !== undefined,
      ) === 'interrupted'
    );
  });
  if (!tl) {
    return error ? (
      <DataNotice tone="bad" title={`Could not load run ${runId}`} error={error} testId="run-load-error">
        <button type="button" className="link-button" onClick={close}>
          back to runbooks
        </button>
      </DataNotice>
    ) : (
      <div className="card plan-placeholder" data-testid="run-loading">
        <span className="spinner" aria-hidden="true" /> Loading run {runId}…
      </div>
    );
  }
  const hasDns = tl.steps.some((s) => s.kind.startsWith('dns.'));
  return (
    <div className="run-layout" data-testid="run-view" data-run-id={runId}>
      <RunTimeline tl={tl} interrupted={interrupted} />
      <aside className="run-side">
        <RunStatusCard tl={tl} />
        {hasDns && <RunDnsNow env={tl.env} />}
      </aside>
    </div>
  );
}
