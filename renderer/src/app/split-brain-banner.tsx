/**
 * The loudest thing on the page: more than one database node accepts writes right now (the
 * core's `snapshot.splitBrain`). Shown above every view, because an operator looking at a run
 * must see it as surely as one looking at the overview.
 */
import { useEnvView } from '../features/overview/use-env-view.ts';
import { DataNotice } from '../ui/data-notice.tsx';

export function SplitBrainBanner() {
  const { entry } = useEnvView();
  const sb = entry?.snapshot.splitBrain;
  if (!sb) return null;
  return (
    <DataNotice tone="bad" title={`Split brain: ${sb.nodes.join(' and ')} both accept writes`} testId="split-brain">
      <p>{sb.detail}</p>
    </DataNotice>
  );
}
