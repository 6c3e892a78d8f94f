/**
 * Finds the headless host's token for this tab: from the page URL once (then stripped from the
 * address bar), else from sessionStorage (a reload keeps working without exposing the token).
 */
import { takeTokenFromUrl, tokenStorageKey } from './ws-token.ts';

/** The token for this tab, or null when the page was opened without one. */
export function resolveToken(): string | null {
  const { token, cleanedHref } = takeTokenFromUrl(window.location.href);
  if (token !== null) {
    try {
      window.sessionStorage.setItem(tokenStorageKey, token);
    } catch {
      // Storage disabled: the token still works for this page load.
    }
  }
  if (cleanedHref !== window.location.href) window.history.replaceState(window.history.state, '', cleanedHref);
  if (token !== null) return token;
  try {
    return window.sessionStorage.getItem(tokenStorageKey);
  } catch {
    return null;
  }
}
