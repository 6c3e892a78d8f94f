/** The exact commands of a step (SQL, SSH, HTTP API, nsupdate, dig) in order, monospace, each copyable. */
import { parseCommand } from './run-commands.ts';
import { CopyButton } from '../../ui/copy-button.tsx';

export function RunCommandList({ stepId, commands }: { stepId: string; commands: string[] }) {
  return (
    <div className="command-list" data-testid={`plan-commands-${stepId}`}>
      <div className="field-label">exact commands, in order</div>
      <ol>
        {commands.map((line, i) => {
          const c = parseCommand(line);
          return (
            <li key={i} className={`command command-${c.kind}`} data-kind={c.kind}>
              <span className="command-kind">{c.label}</span>
              <div className="command-main">
                {c.target && <span className="command-target mono">{c.target}</span>}
                <code className="command-text mono">{c.text}</code>
                {c.note && <span className="command-note mono"># {c.note}</span>}
              </div>
              <CopyButton text={c.copy} label={`copy ${c.label} command`} />
            </li>
          );
        })}
      </ol>
    </div>
  );
}
