import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  formatBytes,
  formatBytesAxis,
  formatMs,
  formatSeconds,
  formatTtl,
} from '../../../../renderer/src/ui/format.ts';

test('bytes use binary units', () => {
  assert.equal(formatBytes(0), '0 B');
  assert.equal(formatBytes(812), '812 B');
  assert.equal(formatBytes(12_700), '12.4 KiB');
  assert.equal(formatBytes(3 * 1024 * 1024), '3.00 MiB');
  assert.equal(formatBytes(null), '—');
  assert.equal(formatBytesAxis(150_000), '146.5K');
});

test('seconds are short and never show a trailing .0', () => {
  assert.equal(formatSeconds(0), '0 s');
  assert.equal(formatSeconds(0.06), '0.06 s');
  assert.equal(formatSeconds(0.5), '0.5 s');
  assert.equal(formatSeconds(5), '5 s');
  assert.equal(formatSeconds(2.8), '2.8 s');
  assert.equal(formatSeconds(42.8), '43 s');
  assert.equal(formatSeconds(60), '60 s');
  assert.equal(formatSeconds(125), '2 min 05 s');
  assert.equal(formatSeconds(300), '5 min');
  assert.equal(formatSeconds(null), '—');
});

test('milliseconds and TTLs', () => {
  assert.equal(formatMs(4.4), '4 ms');
  assert.equal(formatMs(1234), '1.2 s');
  assert.equal(formatMs(null), '—');
  assert.equal(formatTtl(30), 'TTL 30');
  assert.equal(formatTtl(null), 'TTL —');
});
