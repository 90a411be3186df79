// What every browser test file shares: one `enamel demo` server and one headless Chromium per
// file, a fresh set of browser contexts per test, the checks that run after every test (no
// web storage, only the session cookies, with the right flags, no cacheable page), and helpers
// to sign in through the pages or the JSON API.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

import { chromium, request } from 'playwright-core';

import { startDemo } from './server.js';
import { timeStep, totp } from './totp.js';

export const SESSION_COOKIE = '__Host-enamel_session';
export const PENDING_COOKIE = '__Host-enamel_pending';
const ALLOWED_COOKIES = new Set([SESSION_COOKIE, PENDING_COOKIE]);

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

/** Debug builds hash passwords slowly; give navigations room. */
const NAVIGATION_TIMEOUT_MS = 60_000;
const ACTION_TIMEOUT_MS = 30_000;

export function launchBrowser() {
  return chromium.launch({
    executablePath: CHROMIUM,
    // As root in CI; no GPU; no connections beyond loopback.
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking'],
  });
}

/**
 * Hands out TOTP codes so that no account uses the same 30-second step twice (the server
 * accepts each step once per account), and never a code about to expire.
 */
export class Authenticator {
  #lastStep = new Map();

  /**
   * @param {{ username: string, totp_secret: string }} account
   * @returns {Promise<string>}
   */
  async code(account) {
    for (;;) {
      const now = Date.now() / 1000;
      const step = timeStep(now);
      const left = 30 - (now % 30);
      const last = this.#lastStep.get(account.username) ?? -Infinity;
      if (step > last && left >= 4) {
        this.#lastStep.set(account.username, step);
        return totp(account.totp_secret, { time: now });
      }
      await sleep(left * 1000 + 250);
    }
  }
}

/**
 * Registers before/after hooks that start one demo server and one browser for this file, and
 * returns a `test` function whose tests get a fresh {@link Scope}.
 * @param {{ env?: Record<string, string> }} [options]
 */
export function browserSuite({ env = {} } = {}) {
  const shared = { server: null, browser: null, codes: new Authenticator() };
  before(
    async () => {
      shared.server = await startDemo({ env });
      shared.browser = await launchBrowser();
    },
    { timeout: 300_000 },
  );
  after(async () => {
    await shared.browser?.close();
    await shared.server?.stop();
  });
  return {
    get server() {
      return shared.server;
    },
    /**
     * @param {string} name
     * @param {(s: Scope, t: import('node:test').TestContext) => Promise<void>} fn
     * @param {{ timeout?: number }} [options]
     */
    test(name, fn, options = {}) {
      test(name, { timeout: 300_000, ...options }, async (t) => {
        assert.ok(shared.server && shared.browser, 'the demo server or the browser did not start');
        const scope = new Scope(shared);
        try {
          await fn(scope, t);
          await scope.checkClientState();
        } catch (e) {
          const tail = shared.server.log().split('\n').slice(-15).join('\n');
          t.diagnostic(`last server log lines:\n${tail}`);
          throw e;
        } finally {
          await scope.close();
        }
      });
    },
  };
}

/** One test's browser contexts and API clients, and the checks made when it ends. */
export class Scope {
  /** @type {import('playwright-core').BrowserContext[]} */
  contexts = [];
  /** @type {import('playwright-core').APIRequestContext[]} */
  apis = [];
  /** Every document and fetch response from the server, in order. */
  responses = [];

  constructor(shared) {
    this.server = shared.server;
    this.browser = shared.browser;
    this.codes = shared.codes;
    this.url = shared.server.url;
  }

  account(role) {
    return this.server.account(role);
  }

  /**
   * A fresh, empty browser context (its own cookies and storage).
   * @param {import('playwright-core').BrowserContextOptions} [options] such as
   *   `{ javaScriptEnabled: false }`
   */
  async newContext(options = {}) {
    const context = await this.browser.newContext({
      ...options,
      ignoreHTTPSErrors: true,
      baseURL: this.url,
    });
    context.setDefaultNavigationTimeout(NAVIGATION_TIMEOUT_MS);
    context.setDefaultTimeout(ACTION_TIMEOUT_MS);
    context.on('response', (response) => {
      const kind = response.request().resourceType();
      if (!response.url().startsWith(this.url) || !['document', 'fetch', 'xhr'].includes(kind)) {
        return;
      }
      this.responses.push({
        url: response.url(),
        status: response.status(),
        kind,
        cacheControl: response.headers()['cache-control'] ?? null,
      });
    });
    this.contexts.push(context);
    return context;
  }

  /** A page in a fresh context (`options` as for {@link Scope#newContext}). */
  async newPage(options = {}) {
    const context = await this.newContext(options);
    const page = await context.newPage();
    return { context, page };
  }

  /** A code for `account` that the server has not seen yet. */
  code(account) {
    return this.codes.code(account);
  }

  /**
   * Opens `path` and checks the final status, and that the answer may not be stored.
   * @returns {Promise<import('playwright-core').Response>}
   */
  async open(page, path, { status = 200 } = {}) {
    const response = await page.goto(path);
    assert.ok(response, `no response for ${path}`);
    assert.equal(response.status(), status, `status of GET ${path} (ended at ${page.url()})`);
    await expectNoStore(response, `GET ${path}`);
    return response;
  }

  /** The last document response recorded for `pathname` (after redirects and form posts). */
  lastDocument(pathname) {
    const found = this.responses
      .filter((r) => r.kind === 'document' && new URL(r.url).pathname === pathname)
      .at(-1);
    assert.ok(found, `no page ${pathname} was loaded`);
    return found;
  }

  /** Checks that the last page load of `pathname` said `Cache-Control: no-store`. */
  expectDocumentNoStore(pathname) {
    const found = this.lastDocument(pathname);
    assert.equal(found.cacheControl, 'no-store', `Cache-Control of ${found.url}`);
  }

  /**
   * Signs in through the pages with username, password and a code (TOTP unless
   * `secondFactor` is given) and checks the home page and the session cookie.
   */
  async signIn(page, account, { secondFactor } = {}) {
    await this.submitPassword(page, account);
    await expectPath(page, '/sign-in/code');
    const code = secondFactor ?? (await this.code(account));
    await page.locator('#code').fill(code);
    await page.getByRole('button', { name: 'Confirm' }).click();
    await expectPath(page, '/');
    await assert.doesNotReject(
      page.getByRole('heading', { level: 1, name: /^Good to see you, / }).waitFor(),
      'the home page greets the person',
    );
    this.expectDocumentNoStore('/');
    await expectSessionCookie(page.context(), this.url);
  }

  /** Fills and submits the first sign-in form. */
  async submitPassword(page, account) {
    await page.goto('/sign-in');
    await page.locator('#username').fill(account.username);
    await page.locator('#password').fill(account.password);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.waitForLoadState('load');
  }

  /** Clicks "Sign out" in the header and checks where it leads. */
  async signOut(page) {
    await page.getByRole('button', { name: 'Sign out', exact: true }).click();
    await expectPath(page, '/sign-in');
    assert.equal(new URL(page.url()).searchParams.get('reason'), 'signed-out');
  }

  /**
   * `fetch(path)` from inside the page, with its cookies, as the page's own script would.
   * @returns {Promise<{ status: number, cacheControl: string|null, body: string }>}
   */
  async pageFetch(page, path) {
    const answer = await page.evaluate(async (p) => {
      const r = await fetch(p, { credentials: 'same-origin', cache: 'no-store' });
      return { status: r.status, cacheControl: r.headers.get('cache-control'), body: await r.text() };
    }, path);
    return answer;
  }

  /**
   * An API client signed in as `account` (password, then a TOTP code), for test setup.
   * @returns {Promise<import('playwright-core').APIRequestContext>}
   */
  async api(account) {
    const anonymous = await request.newContext({ baseURL: this.url, ignoreHTTPSErrors: true });
    try {
      const login = await anonymous.post('/api/v1/auth/login', {
        data: { username: account.username, password: account.password },
      });
      assert.equal(login.status(), 200, `API login of ${account.username}: ${await login.text()}`);
      const { mfa_required: mfaRequired, mfa_token: mfaToken } = await login.json();
      assert.equal(mfaRequired, true);
      const mfa = await anonymous.post('/api/v1/auth/mfa', {
        data: { mfa_token: mfaToken, code: await this.code(account) },
      });
      assert.equal(mfa.status(), 200, `API code of ${account.username}: ${await mfa.text()}`);
      const { access_token: accessToken } = await mfa.json();
      const client = await request.newContext({
        baseURL: this.url,
        ignoreHTTPSErrors: true,
        extraHTTPHeaders: { Authorization: `Bearer ${accessToken}` },
      });
      this.apis.push(client);
      return client;
    } finally {
      await anonymous.dispose();
    }
  }

  /**
   * After every test, in every context it opened: nothing in localStorage or sessionStorage,
   * no cookie but the session ones (HttpOnly, Secure, SameSite=Strict), and no page or fetch
   * answer from the server without `Cache-Control: no-store`.
   */
  async checkClientState() {
    for (const context of this.contexts) {
      const cookies = await context.cookies();
      for (const cookie of cookies) {
        assert.ok(ALLOWED_COOKIES.has(cookie.name), `unexpected cookie ${cookie.name} (${cookie.domain})`);
        expectCookieFlags(cookie);
      }
      let pages = context.pages().filter((p) => p.url().startsWith(this.url));
      if (pages.length === 0) {
        // localStorage is per origin: a new page on the origin sees what any page left.
        const page = await context.newPage();
        await page.goto('/sign-in');
        pages = [page];
      }
      for (const page of pages) {
        const storage = await page.evaluate(() => ({
          local: localStorage.length,
          session: sessionStorage.length,
        }));
        assert.equal(storage.local, 0, `localStorage of ${page.url()} is empty`);
        assert.equal(storage.session, 0, `sessionStorage of ${page.url()} is empty`);
      }
    }
    for (const r of this.responses) {
      assert.equal(r.cacheControl, 'no-store', `Cache-Control of ${r.kind} ${r.url} (${r.status})`);
    }
  }

  async close() {
    for (const context of this.contexts) {
      await context.close().catch(() => {});
    }
    for (const api of this.apis) {
      await api.dispose().catch(() => {});
    }
  }
}

/** Checks a response's `Cache-Control`. */
export async function expectNoStore(response, what) {
  const value = await response.headerValue('cache-control');
  assert.equal(value, 'no-store', `Cache-Control of ${what}`);
}

/** The session cookie's and the pending cookie's flags. */
export function expectCookieFlags(cookie) {
  assert.equal(cookie.httpOnly, true, `${cookie.name} is HttpOnly`);
  assert.equal(cookie.secure, true, `${cookie.name} is Secure`);
  assert.equal(cookie.sameSite, 'Strict', `${cookie.name} is SameSite=Strict`);
  assert.equal(cookie.path, '/', `${cookie.name} has Path=/`);
}

/** The context has a session cookie, with the right flags; returns it. */
export async function expectSessionCookie(context, url) {
  const cookie = (await context.cookies(url)).find((c) => c.name === SESSION_COOKIE);
  assert.ok(cookie, `the browser holds ${SESSION_COOKIE}`);
  assert.ok(cookie.value.length >= 20, 'the session cookie carries a token');
  expectCookieFlags(cookie);
  return cookie;
}

/**
 * Waits until the page is at `pathname`; on failure says where it is and what it shows.
 */
export async function expectPath(page, pathname, { timeout = NAVIGATION_TIMEOUT_MS } = {}) {
  try {
    await page.waitForURL((url) => url.pathname === pathname, { timeout });
  } catch (e) {
    let shown = '';
    try {
      shown = (await page.locator('#form-error, h1').allInnerTexts()).join(' | ');
    } catch {
      // the page may be gone
    }
    throw new assert.AssertionError({
      message: `expected to be at ${pathname}, but the page is ${page.url()} showing "${shown}" (${e.message.split('\n')[0]})`,
    });
  }
}
