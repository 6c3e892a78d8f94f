/** Axis ticks on round clock times, so a live chart's labels do not crawl every second. */

/**
 * Ticks at multiples of `stepMs` (epoch-aligned, which is clock-aligned for whole minutes in
 * every time zone with a whole-minute offset) inside `[from, to]`, oldest first.
 *
 * @param stepMs tick spacing, ms (> 0)
 */
export function timeTicks(from: number, to: number, stepMs: number): number[] {
  if (!(stepMs > 0) || !(to >= from)) return [];
  const out: number[] = [];
  for (let t = Math.ceil(from / stepMs) * stepMs; t <= to && out.length < 1000; t += stepMs) out.push(t);
  return out;
}
