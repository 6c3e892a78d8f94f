/**
 * Opens the console the way a user does: the URL `standby serve` printed. That URL's token is
 * one-time (serve exchanges it for a session cookie and redirects), so a spec that opens one
 * serve in several tests (each a fresh browser context) reuses the session cookie from the
 * first visit instead of the spent link, as the user's own browser would.
 */
import type { Cookie, Page } from '@playwright/test';

/** Session cookies by printed URL (one serve process each). */
const sessions = new Map<string, Cookie[]>();

/**
 * @param page the test's page
 * @param serve `openUrl` (printed, with ?token=) and `url` (base) of a running serve
 */
export async function openConsole(page: Page, serve: { openUrl: string; url: string }): Promise<void> {
  const saved = sessions.get(serve.openUrl);
  if (saved) {
    await page.context().addCookies(saved);
    await page.goto(`${serve.url}/`);
    return;
  }
  await page.goto(serve.openUrl);
  sessions.set(serve.openUrl, await page.context().cookies(serve.url));
}
