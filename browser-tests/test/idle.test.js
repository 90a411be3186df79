// Automatic logoff, on a server of its own whose sessions end after 6 idle seconds.

import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';

import { SESSION_COOKIE, browserSuite, expectPath } from '../lib/harness.js';

const IDLE_SECONDS = 6;

const suite = browserSuite({ env: { ENAMEL_SESSIONS__IDLE_TIMEOUT_SECS: String(IDLE_SECONDS) } });

suite.test('an idle page leaves for sign-in by itself, and the server has ended the session', async (s) => {
  const dentist = s.account('dentist');
  const { context, page } = await s.newPage();
  await s.signIn(page, dentist);
  const loadedAt = Date.now();
  assert.equal(
    await page.locator('body').getAttribute('data-idle-seconds'),
    String(IDLE_SECONDS),
    'the page knows the idle timeout',
  );
  const cookie = (await context.cookies()).find((c) => c.name === SESSION_COOKIE);
  assert.ok(cookie, 'signed in');

  // Nobody touches the page. Its own script must leave it for the sign-in page.
  await page.waitForURL(
    (url) => url.pathname === '/sign-in' && url.searchParams.get('reason') === 'idle',
    { timeout: (IDLE_SECONDS + 10) * 1000 },
  );
  const leftAfter = Date.now() - loadedAt;
  assert.ok(leftAfter >= (IDLE_SECONDS - 1) * 1000, `the page left after ${leftAfter} ms, not before the timeout`);
  await assert.doesNotReject(page.getByText('You were signed out because').waitFor());
  assert.equal(await page.getByText('Good to see you').count(), 0);

  // ~8 s without activity in all, then the server side: the same cookie no longer opens `/`.
  const quiet = IDLE_SECONDS * 1000 + 2000 - (Date.now() - loadedAt);
  if (quiet > 0) {
    await sleep(quiet);
  }
  if (!(await context.cookies()).some((c) => c.name === SESSION_COOKIE)) {
    // Whatever cleared it, what counts is whether the server still honours the token.
    await context.addCookies([{ ...cookie, expires: -1 }]);
  }
  await page.goto('/');
  await expectPath(page, '/sign-in');
  assert.equal(await page.getByText('Good to see you').count(), 0, 'no home page after the idle timeout');
  const me = await s.pageFetch(page, '/api/v1/me');
  assert.equal(me.status, 401, 'the API refuses the idle session too');
  // The refused cookie may linger in the browser; the harness checks its flags, not its life.
});
