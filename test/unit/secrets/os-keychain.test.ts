import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  KeyringLoadError,
  addEntryHint,
  createOsKeychainReader,
  mapKeyringError,
} from '../../../electron/core/secrets/os-keychain.ts';
import { SecretError } from '../../../electron/core/secrets/secret-error.ts';
import { rejection } from './rejection.ts';

// Messages below are what @napi-rs/keyring 2.1.2 (linux-x64-gnu) actually produced against
// gnome-keyring 42 / dbus 1.14 on Debian 12, or the keyring crate's Display text.
const err = (message: string): Error => Object.assign(new Error(message), { code: 'GenericFailure' });

test('mapKeyringError: each library failure gets a kind and an actionable hint', () => {
  const cases: Array<[string, string, RegExp]> = [
    ['No matching credential found', 'not-found', /secret-tool store .*service svc username alice/],
    [
      'Platform failure: DBus error: Using X11 for dbus-daemon autolaunch was disabled at compile time, set your DBUS_SESSION_BUS_ADDRESS instead',
      'unreachable',
      /gnome-keyring-daemon.*KeePassXC.*\{ env \}/,
    ],
    [
      'Platform failure: DBus error: The name org.freedesktop.secrets was not provided by any .service files',
      'unreachable',
      /Secret Service/,
    ],
    [
      'Platform failure: DBus error: Failed to connect to socket /nonexistent/bus: No such file or directory',
      'unreachable',
      /DBUS_SESSION_BUS_ADDRESS/,
    ],
    ['Platform failure: DBus error: Address does not contain a colon', 'unreachable', /session bus/],
    [
      'Platform failure: DBus error: Failed to connect to socket "127.0.0.1" port 1: Connection refused',
      'unreachable',
      /keyring/,
    ],
    [
      'Platform failure: DBus error: Did not receive a reply. Possible causes include: the remote application did not send a reply, the message bus security policy blocked the reply, the reply timeout expired, or the network connection was broken.',
      'unreachable',
      /did not answer.*unlock prompt.*hung/,
    ],
    ['timed out: queued behind a keychain read that did not answer', 'unreachable', /did not answer/],
    ["Couldn't access platform storage: Secret Service: unlock prompt was dismissed", 'auth', /locked.*unlock/],
    ["Couldn't access platform storage: Secret Service: object locked", 'auth', /unlock/],
    ['Entry is matched by 2 credentials: [..]', 'invalid-input', /delete all but one/],
    ["Couldn't access platform storage: something new", 'unreachable', /Secret Service/],
    ['Something else entirely', 'internal', /^$/],
  ];
  for (const [message, kind, hint] of cases) {
    const e = mapKeyringError(err(message), 'svc', 'alice', 'linux');
    assert.ok(e instanceof SecretError);
    assert.equal(e.error.kind, kind, message);
    assert.match(e.error.hint ?? '', hint, message);
    assert.match(e.error.message, /svc\/alice/, message);
    assert.equal(e.error.where, 'keychain svc/alice');
  }
});

test('mapKeyringError: long or multi-line library messages are cut to one line', () => {
  const e = mapKeyringError(err(`Platform failure: ${'x'.repeat(1000)}\nsecond line`), 's', 'a', 'linux');
  assert.ok(e.error.message.length < 400);
  assert.ok(!e.error.message.includes('second line'));
  assert.equal(mapKeyringError('a string', 's', 'a', 'linux').error.kind, 'internal');
});

test('addEntryHint: the add command of each OS, quoted for its shell', () => {
  assert.equal(
    addEntryHint('linux', 'standby', 'pg'),
    "add it with: secret-tool store --label='Standby standby/pg' service standby username pg   (prompts for the value; needs libsecret-tools and an unlocked keyring)",
  );
  assert.match(addEntryHint('linux', "it's", 'a b'), /service 'it'\\''s' username 'a b'/);
  assert.match(addEntryHint('darwin', 'standby', 'pg'), /security add-generic-password -s standby -a pg -w/);
  assert.match(addEntryHint('win32', 'standby', 'pg'), /cmdkey \/generic:pg\.standby \/user:pg \/pass/);
  assert.match(addEntryHint('win32', 'my svc', 'pg'), /\/generic:"pg\.my svc"/);
  assert.match(addEntryHint('freebsd', 's', 'a'), /secret-tool/);
});

test('reader: value; missing entry → not-found with the add command', async () => {
  const read = createOsKeychainReader({
    read: async (s, a) => (a === 'alice' ? `value-of-${s}` : null),
    platform: 'linux',
  });
  assert.equal(await read('svc', 'alice'), 'value-of-svc');
  const e = await rejection(read('svc', 'bob'));
  assert.equal(e.error.kind, 'not-found');
  assert.equal(e.error.message, 'OS keychain entry svc/bob does not exist');
  assert.match(e.error.hint ?? '', /secret-tool store/);
  assert.equal(e.error.where, 'keychain svc/bob');
});

test('reader: binding that cannot load → unsupported with the env/file way out', async () => {
  const read = createOsKeychainReader({
    read: async () =>
      Promise.reject(
        new KeyringLoadError('Cannot find native binding. npm has a bug related to optional dependencies'),
      ),
  });
  const e = await rejection(read('s', 'a'));
  assert.equal(e.error.kind, 'unsupported');
  assert.match(e.error.message, /could not be loaded on .*Cannot find native binding/);
  assert.match(e.error.hint ?? '', /\{ env \} or \{ file \}/);
});

test('reader: a library error is mapped, never leaked as a raw Error', async () => {
  const read = createOsKeychainReader({
    read: async () => Promise.reject(err("Couldn't access platform storage: Secret Service: object locked")),
    platform: 'linux',
  });
  assert.equal((await rejection(read('s', 'a'))).error.kind, 'auth');
});

test('reader: a read that hangs → unreachable at the timeout; later reads fail fast until it returns', async () => {
  let finish: (v: string | null) => void = () => undefined;
  let aborted = false;
  let calls = 0;
  const read = createOsKeychainReader({
    read: (_s, _a, signal) =>
      new Promise((resolve) => {
        calls++;
        signal.addEventListener('abort', () => (aborted = true));
        finish = resolve;
      }),
    timeoutMs: 80,
    platform: 'linux',
  });
  const t0 = performance.now();
  const e = await rejection(read('svc', 'alice'));
  const ms = performance.now() - t0;
  assert.equal(e.error.kind, 'unreachable');
  assert.match(e.error.message, /did not answer within 80 ms/);
  assert.match(e.error.hint ?? '', /unlock prompt/);
  assert.ok(ms >= 75 && ms < 1000, `timed out after ${ms.toFixed(0)} ms`);
  assert.ok(aborted, 'the backend is told to give up');

  const t1 = performance.now();
  const fast = await rejection(read('svc', 'alice'));
  assert.equal(fast.error.kind, 'unreachable');
  assert.match(fast.error.message, /earlier keychain read has not returned/);
  assert.ok(performance.now() - t1 < 50, 'fails at once');
  assert.equal(calls, 1, 'no second backend call while one is stuck');

  finish('late'); // the stuck call returns: the reader is usable again
  await new Promise((r) => setImmediate(r));
  const again = read('svc', 'alice');
  assert.equal(calls, 2);
  finish('second');
  assert.equal(await again, 'second');
});
