/**
 * nginx switch pieces without nginx: the upstream rewrite (pure) and — run with the local
 * /bin/sh against a temp file and a fake `nginx` script — the switch script's atomic replace,
 * restore on a failed `nginx -t` or reload, and its exit codes.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  NGINX_SWITCH_EXIT,
  isNginxServerAddress,
  nginxLiveSlot,
  nginxSwitchScript,
  parseNginxUpstream,
  renderNginxUpstream,
} from '../../../electron/core/traffic/routers/nginx.ts';

const slots = [
  { name: 'blue', routerId: '127.0.0.2:28301' },
  { name: 'green', routerId: '127.0.0.2:28302' },
];
const ids = slots.map((s) => s.routerId);

test('the lab file: only the server address changes', () => {
  assert.equal(
    renderNginxUpstream('upstream app { server 127.0.0.2:28301; keepalive 8; }\n', '127.0.0.2:28302', ids),
    'upstream app { server 127.0.0.2:28302; keepalive 8; }\n',
  );
});

test('comments, other directives and server parameters are kept; down/backup dropped; duplicates of slot servers removed', () => {
  const text = `# written by hand
upstream app {
    # server 127.0.0.2:28302;   keep this comment
    server 127.0.0.2:28301 weight=5 max_fails=2;
    server 127.0.0.2:28302 backup;
    keepalive 8;
}
upstream other { server 10.0.0.1:80; }
`;
  const out = renderNginxUpstream(text, '127.0.0.2:28302', ids);
  assert.equal(
    out,
    `# written by hand
upstream app {
    # server 127.0.0.2:28302;   keep this comment
    server 127.0.0.2:28302 weight=5 max_fails=2;
    keepalive 8;
}
upstream other { server 10.0.0.1:80; }
`,
  );
  assert.equal(
    nginxLiveSlot(
      parseNginxUpstream(out).filter((x) => x.upstream === 'app'),
      slots,
    ).liveSlot,
    'green',
  );
});

test('a file whose server names no slot: the single upstream is switched; with several upstreams it is refused', () => {
  assert.equal(
    renderNginxUpstream('upstream app { server 127.0.0.9:9; server 127.0.0.9:10; }', '127.0.0.2:28301', ids),
    'upstream app { server 127.0.0.2:28301; }',
  );
  assert.throws(
    () =>
      renderNginxUpstream('upstream a { server 1.1.1.1:1; } upstream b { server 1.1.1.2:1; }', '127.0.0.2:28301', ids),
    /cannot tell which one/,
  );
  assert.throws(() => renderNginxUpstream('server 1.1.1.1:1;', '127.0.0.2:28301', ids), /no "upstream NAME/);
});

test('router ids: host:port, [v6]:port, unix: paths; nothing that could inject a directive', () => {
  for (const ok of ['127.0.0.2:28301', 'app-blue.internal:8080', '[::1]:8080', 'unix:/run/app.sock'])
    assert.equal(isNginxServerAddress(ok), true, ok);
  for (const bad of ['127.0.0.2', '127.0.0.2:1; include /etc/passwd', 'a b:1', 'unix:/x;y', "h:1'"])
    assert.equal(isNginxServerAddress(bad), false, bad);
});

const dir = mkdtempSync(join(tmpdir(), 'standby-nginx-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A fake nginx: `-t` fails when the include mentions port 70000, `-s reload` fails when RELOAD_FAILS exists. */
const fakeNginx = join(dir, 'nginx');
writeFileSync(
  fakeNginx,
  `#!/bin/sh
case " $* " in
  *" -t "*) if grep -q 70000 '${dir}/upstream conf'; then echo 'nginx: [emerg] invalid port in upstream "127.0.0.2:70000"' >&2; exit 1; fi; exit 0 ;;
  *" -s reload "*) if [ -e '${dir}/RELOAD_FAILS' ]; then echo 'nginx: [error] invalid PID number "" in "/x/nginx.pid"' >&2; exit 1; fi; echo reloaded >> '${dir}/reloads'; exit 0 ;;
esac
exit 2
`,
);
chmodSync(fakeNginx, 0o755);
const file = join(dir, 'upstream conf');

function runSwitch(content: string): { status: number | null; stderr: string } {
  const r = spawnSync('/bin/sh', ['-c', nginxSwitchScript(file, `${fakeNginx} -p ${dir}`)], {
    input: content,
    encoding: 'utf8',
  });
  return { status: r.status, stderr: r.stderr };
}

test('switch script: new content in place, nginx tested and reloaded, no temp files left', () => {
  writeFileSync(file, 'upstream app { server 127.0.0.2:28301; }\n', { mode: 0o640 });
  const r = runSwitch('upstream app { server 127.0.0.2:28302; }\n');
  assert.equal(r.status, NGINX_SWITCH_EXIT.ok, r.stderr);
  assert.equal(readFileSync(file, 'utf8'), 'upstream app { server 127.0.0.2:28302; }\n');
  assert.equal(readFileSync(join(dir, 'reloads'), 'utf8'), 'reloaded\n');
  assert.ok(!existsSync(`${file}.standby-new`) && !existsSync(`${file}.standby-old`));
});

test("switch script: nginx -t fails → the old file is back, nginx's words on stderr, exit 3, no reload", () => {
  writeFileSync(file, 'upstream app { server 127.0.0.2:28301; }\n');
  rmSync(join(dir, 'reloads'), { force: true });
  const r = runSwitch('upstream app { server 127.0.0.2:70000; }\n');
  assert.equal(r.status, NGINX_SWITCH_EXIT.testFailed);
  assert.match(r.stderr, /\[emerg\] invalid port in upstream "127\.0\.0\.2:70000"/);
  assert.equal(readFileSync(file, 'utf8'), 'upstream app { server 127.0.0.2:28301; }\n');
  assert.ok(!existsSync(join(dir, 'reloads')));
});

test('switch script: reload fails → the old file is back, exit 4', () => {
  writeFileSync(file, 'upstream app { server 127.0.0.2:28301; }\n');
  writeFileSync(join(dir, 'RELOAD_FAILS'), '');
  try {
    const r = runSwitch('upstream app { server 127.0.0.2:28302; }\n');
    assert.equal(r.status, NGINX_SWITCH_EXIT.reloadFailed);
    assert.match(r.stderr, /invalid PID/);
    assert.equal(readFileSync(file, 'utf8'), 'upstream app { server 127.0.0.2:28301; }\n');
  } finally {
    rmSync(join(dir, 'RELOAD_FAILS'));
  }
});
