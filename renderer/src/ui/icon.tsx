/** Small inline SVG icons (no icon font: strict CSP, and glyph coverage varies by system). */
import type { ReactNode } from 'react';
import type { IconName } from './state-badge.ts';

const paths: Record<IconName, ReactNode> = {
  check: <path d="M2.5 6.5 5 9l4.5-5.5" />,
  warn: (
    <>
      <path d="M6 1.8 11 10.4H1z" />
      <path d="M6 5v2.3M6 8.7v.2" />
    </>
  ),
  cross: <path d="M3 3l6 6M9 3 3 9" />,
  question: (
    <>
      <path d="M4.3 4.4a1.8 1.8 0 1 1 2.6 1.6c-.6.3-.9.7-.9 1.4" />
      <path d="M6 9.3v.2" />
    </>
  ),
  clock: (
    <>
      <circle cx="6" cy="6" r="4.5" />
      <path d="M6 3.5V6l1.8 1.2" />
    </>
  ),
  dot: <circle cx="6" cy="6" r="2.5" fill="currentColor" />,
  plug: (
    <>
      <circle cx="6" cy="6" r="2.2" fill="currentColor" />
      <circle cx="6" cy="6" r="4.5" opacity="0.45" />
    </>
  ),
  lock: (
    <>
      <rect x="2.5" y="5.5" width="7" height="5" rx="1" />
      <path d="M4 5.5V4a2 2 0 0 1 4 0v1.5" />
    </>
  ),
  sync: (
    <>
      <path d="M10 6a4 4 0 0 1-7 2.6" />
      <path d="M2 6a4 4 0 0 1 7-2.6" />
      <path d="M9.3 1.5v2.2H7.1M2.7 10.5V8.3h2.2" />
    </>
  ),
};

/** A 12×12 icon in the current text colour; decorative (the text beside it carries meaning). */
export function Icon({ name, size = 12 }: { name: IconName; size?: number }) {
  return (
    <svg
      className="icon"
      width={size}
      height={size}
      viewBox="0 0 12 12"
      fill="none"
      stroke="currentColor"
      strokeWidth="1.6"
      strokeLinecap="round"
      strokeLinejoin="round"
      aria-hidden="true"
      focusable="false"
    >
      {paths[name]}
    </svg>
  );
}
