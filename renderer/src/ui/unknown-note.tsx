/** "unknown — <reason> (last good 14 s ago)", in the unknown tone. */
import { describeUnknown } from './age.ts';
import { Icon } from './icon.tsx';

export interface UnknownNoteProps {
  reason: string | undefined;
  lastGoodAt: number | null;
  /** Host-clock now, epoch ms. */
  now: number;
  /** Drop the leading "unknown — " where the word is already shown beside it. */
  bare?: boolean;
}

export function UnknownNote({ reason, lastGoodAt, now, bare = false }: UnknownNoteProps) {
  const text = describeUnknown(reason, lastGoodAt, now);
  return (
    <span className="unknown-note">
      {!bare && <Icon name="question" />}
      {bare ? text.replace(/^unknown — /, '') : text}
    </span>
  );
}
