/** A value-vs-objective track: the filled bar and a marker at the objective. */
import type { Tone } from './state-badge.ts';

export interface ObjectiveBarProps {
  /** Filled segments, left to right (fractions of the track, 0..1). */
  segments: { fraction: number; className: string; title: string }[];
  objectiveFraction: number;
  objectiveLabel: string;
  tone: Tone;
}

export function ObjectiveBar({ segments, objectiveFraction, objectiveLabel, tone }: ObjectiveBarProps) {
  return (
    <div className={`objective-bar tone-${tone}`} role="presentation">
      <div className="objective-track">
        {segments.map((s, i) => (
          <span
            key={i}
            className={`objective-fill ${s.className}`}
            style={{ width: `${(s.fraction * 100).toFixed(2)}%` }}
            title={s.title}
          />
        ))}
      </div>
      <span
        className={`objective-marker ${objectiveFraction < 0.5 ? 'label-right' : 'label-left'}`}
        style={{ left: `${(objectiveFraction * 100).toFixed(2)}%` }}
        title={objectiveLabel}
      >
        <span className="objective-marker-label">{objectiveLabel}</span>
      </span>
    </div>
  );
}
