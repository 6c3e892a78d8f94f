/**
 * Refuses configuration files another local user could have written. A workspace names the
 * commands Standby runs over SSH (`nginxCommand`, `startCommand`), a runbook says which
 * irreversible steps run, and known_hosts says which host keys are trusted: if another user
 * can write one of them, that user can make Standby act on production as the operator.
 */
import type { Stats } from 'node:fs';
import { stat } from 'node:fs/promises';

/** Why a file is not trusted: `message` names the file and its mode or owner, `hint` the fix. */
export interface FileTrustProblem {
  message: string;
  hint: string;
}

/**
 * Judges `st` (the stat of `file`): refused when group- or world-writable, or owned by a user
 * other than the current one and root. Always `undefined` on Windows, whose mode bits do not
 * describe who may write (ACLs do).
 * @param what the file's role in messages, e.g. "workspace", "runbook", "known_hosts"
 * @param uid the current user's id (default `process.getuid()`)
 */
export function fileTrustProblem(
  file: string,
  st: Pick<Stats, 'mode' | 'uid'>,
  what: string,
  uid: number | undefined = process.getuid?.(),
): FileTrustProblem | undefined {
  if (process.platform === 'win32' || uid === undefined) return undefined;
  const mode = (st.mode & 0o777).toString(8).padStart(4, '0');
  if ((st.mode & 0o022) !== 0)
    return {
      message: `the ${what} file ${file} is writable by other users (mode ${mode})`,
      hint: `chmod go-w ${file}`,
    };
  // Root owning the file is fine (a system-managed file); any other owner could rewrite it.
  if (st.uid !== uid && st.uid !== 0)
    return {
      message: `the ${what} file ${file} is owned by another user (uid ${st.uid}, mode ${mode})`,
      hint: `take ownership (chown $(id -u) ${file}) or copy it into a file you own, then chmod go-w ${file}`,
    };
  return undefined;
}

/**
 * Stats `file` and judges it with {@link fileTrustProblem}. A file that cannot be stat'ed
 * yields `undefined`: the caller's own read reports the missing file with its own hint.
 */
export async function checkFileTrust(file: string, what: string): Promise<FileTrustProblem | undefined> {
  let st: Stats;
  try {
    st = await stat(file);
  } catch {
    return undefined;
  }
  return fileTrustProblem(file, st, what);
}
