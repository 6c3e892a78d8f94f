/** Number formatting for the dashboard: bytes, seconds, milliseconds, TTLs. */

/**
 * Bytes with binary units: `0 B`, `812 B`, `12.4 KiB`, `3.0 MiB`. Null → `—`.
 * @param bytes size, bytes
 */
export function formatBytes(bytes: number | null): string {
  if (bytes === null || !Number.isFinite(bytes)) return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = Math.abs(bytes);
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  const sign = bytes < 0 ? '-' : '';
  return u === 0 ? `${sign}${Math.round(v)} B` : `${sign}${v.toFixed(v < 10 ? 2 : 1)} ${units[u]}`;
}

/**
 * Seconds: `0 s`, `0.42 s`, `3.1 s`, `5 s`, `45 s`, `2 min 05 s`, `5 min`. Null → `—`.
 * @param seconds duration, s
 */
export function formatSeconds(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '—';
  if (seconds === 0) return '0 s';
  if (seconds < 1) return `${trim(seconds.toFixed(2))} s`;
  if (seconds < 10) return `${trim(seconds.toFixed(1))} s`;
  if (seconds < 100) return `${Math.round(seconds)} s`;
  const total = Math.round(seconds);
  const m = Math.floor(total / 60);
  const s = total % 60;
  return s === 0 ? `${m} min` : `${m} min ${String(s).padStart(2, '0')} s`;
}

/** `5.0` → `5`, `0.50` → `0.5`. */
const trim = (fixed: string): string => (fixed.includes('.') ? fixed.replace(/\.?0+$/, '') : fixed);

/**
 * Milliseconds: `4 ms`, `812 ms`, `1.2 s`. Null → `—`.
 * @param ms duration, ms
 */
export function formatMs(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms)) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(1)} s`;
}

/** A DNS TTL: `TTL 30` (seconds, as dig prints it), `TTL —` when unknown. */
export const formatTtl = (ttlSeconds: number | null): string => `TTL ${ttlSeconds === null ? '—' : ttlSeconds}`;

/** Compact axis label for bytes (`0`, `512`, `12K`, `3.2M`). */
export function formatBytesAxis(bytes: number): string {
  if (!Number.isFinite(bytes)) return '';
  const abs = Math.abs(bytes);
  if (abs < 1024) return String(Math.round(bytes));
  if (abs < 1024 ** 2) return `${+(bytes / 1024).toFixed(1)}K`;
  if (abs < 1024 ** 3) return `${+(bytes / 1024 ** 2).toFixed(1)}M`;
  return `${+(bytes / 1024 ** 3).toFixed(1)}G`;
}

/** Clock time `HH:MM` in the page's time zone, for chart axes. */
export function formatClock(t: number): string {
  const d = new Date(t);
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
}
