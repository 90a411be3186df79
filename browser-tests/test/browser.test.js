// Enamel's staff pages in headless Chromium against one `enamel demo` server (default
// settings). After every test the harness also checks web storage, cookies and Cache-Control
// (see lib/harness.js). The idle-timeout test runs on its own server: test/idle.test.js.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';

import {
  SESSION_COOKIE,
  browserSuite,
  expectNoStore,
  expectPath,
  expectSessionCookie,
} from '../lib/harness.js';

const suite = browserSuite();

const SIGN_IN_ERROR = 'The username or password is not right. Check them and try again.';

suite.test('demo writes its sign-ins for every staff role to a private file', async (s) => {
  assert.equal(s.server.accountsFileMode, 0o600, 'demo-accounts.json has mode 0600');
  const roles = s.server.accounts.map((a) => a.role).sort();
  assert.deepEqual(roles, [
    'billing',
    'compliance_officer',
    'dental_assistant',
    'dentist',
    'front_desk',
    'hygienist',
    'office_manager',
    'practice_administrator',
  ]);
  for (const a of s.server.accounts) {
    assert.equal(a.username, a.role.replaceAll('_', '-'));
    assert.match(a.totp_secret, /^[A-Z2-7]+=*$/, `${a.role}'s TOTP secret is RFC 4648 base32`);
  }
  assert.match(s.url, /^https:\/\/127\.0\.0\.1:\d+$/);
});

suite.test('sign-in with a TOTP code takes the dentist to the home page', async (s) => {
  const { context, page } = await s.newPage();
  const dentist = s.account('dentist');

  await s.submitPassword(page, dentist);
  await expectPath(page, '/sign-in/code');
  // Half signed in: only the short-lived pending cookie, no session yet.
  const names = (await context.cookies()).map((c) => c.name);
  assert.deepEqual(names, ['__Host-enamel_pending']);

  await page.locator('#code').fill(await s.code(dentist));
  await page.getByRole('button', { name: 'Confirm' }).click();
  await expectPath(page, '/');
  await assert.doesNotReject(
    page.getByRole('heading', { level: 1, name: /^Good to see you, Demo dentist$/i }).waitFor(),
  );
  s.expectDocumentNoStore('/');
  await expectSessionCookie(context, s.url);
  const after = (await context.cookies()).map((c) => c.name);
  assert.deepEqual(after, [SESSION_COOKIE], 'the pending cookie is gone once signed in');

  // A reload still shows the home page, with no-store.
  await s.open(page, '/');
  await assert.doesNotReject(page.getByText('Good to see you').first().waitFor());
});

suite.test('a wrong password gets the same answer as an unknown username', async (s) => {
  const { context, page } = await s.newPage();
  const dentist = s.account('dentist');

  const answers = [];
  for (const attempt of [
    { username: dentist.username, password: `${dentist.password}-wrong` },
    { username: `nobody-${randomBytes(4).toString('hex')}`, password: dentist.password },
  ]) {
    await page.goto('/sign-in');
    await page.locator('#username').fill(attempt.username);
    await page.locator('#password').fill(attempt.password);
    const [response] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/sign-in'),
      page.getByRole('button', { name: 'Continue' }).click(),
    ]);
    await page.locator('#form-error').waitFor();
    assert.equal(new URL(page.url()).pathname, '/sign-in', 'stays on the sign-in page');
    answers.push({
      status: response.status(),
      error: (await page.locator('#form-error').innerText()).trim(),
      username: await page.locator('#username').inputValue(),
      password: await page.locator('#password').inputValue(),
    });
  }
  assert.equal(answers[0].error, SIGN_IN_ERROR);
  assert.equal(answers[1].error, answers[0].error, 'same words for both');
  assert.equal(answers[1].status, answers[0].status, 'same status for both');
  assert.equal(answers[0].username, dentist.username, 'the username is kept in the form');
  assert.equal(answers[0].password, '', 'the password is never sent back');
  assert.deepEqual(await context.cookies(), [], 'no cookie after a failed sign-in');
});

suite.test('the sign-in form can be completed with the keyboard alone', async (s) => {
  const { page } = await s.newPage();
  const manager = s.account('office_manager');
  const focused = () => page.evaluate(() => document.activeElement?.id ?? '');

  /** Presses Tab until the element with `id` has focus (at most `limit` times). */
  async function tabTo(id, limit = 8) {
    for (let i = 0; i <= limit; i += 1) {
      if ((await focused()) === id) {
        return;
      }
      await page.keyboard.press('Tab');
    }
    assert.fail(`Tab never reached #${id} (focus is on #${await focused()})`);
  }

  await page.goto('/sign-in');
  await tabTo('username');
  await page.keyboard.type(manager.username);
  await page.keyboard.press('Tab');
  assert.equal(await focused(), 'password', 'Tab goes from username to password');
  await page.keyboard.type(manager.password);
  await page.keyboard.press('Enter');
  await expectPath(page, '/sign-in/code');

  await tabTo('code');
  await page.keyboard.type(await s.code(manager));
  await page.keyboard.press('Enter');
  await expectPath(page, '/');
  await assert.doesNotReject(page.getByRole('heading', { level: 1, name: /^Good to see you, / }).waitFor());
  s.expectDocumentNoStore('/');
  await expectSessionCookie(page.context(), s.url);
});

suite.test('first sign-in: one-time link, password, authenticator enrollment, recovery code', async (s) => {
  const admin = s.account('practice_administrator');
  const { page: adminPage } = await s.newPage();
  await s.signIn(adminPage, admin);

  await s.open(adminPage, '/admin/users');
  await adminPage.locator('#users').waitFor();

  const username = `bt-${randomBytes(4).toString('hex')}`;
  const displayName = `Browser Test ${username.slice(3)}`;
  const addPerson = async () => {
    await adminPage.locator('#display_name').fill(displayName);
    await adminPage.locator('#new-username').fill(username);
    await adminPage.locator('#new-role').selectOption('billing');
    await adminPage.getByRole('button', { name: 'Add', exact: true }).click();
    await adminPage.waitForLoadState('load');
  };

  // The sign-in's own code is fresh enough for this change (step-up: test/stepup.test.js).
  await addPerson();
  await expectPath(adminPage, '/admin/users');
  const link = (await adminPage.locator('#one-time-link code').innerText()).trim();
  s.expectDocumentNoStore('/admin/users');
  assert.match(link, /^\/reset#enr_[A-Za-z0-9_-]+$/, 'a single-use link');
  const row = adminPage.locator('#users tr', { hasText: username });
  await assert.doesNotReject(row.waitFor(), 'the new person is listed');
  assert.match(await row.innerText(), /setup pending/);

  // The new person, in a browser of their own.
  const { context, page } = await s.newPage();
  await page.goto(link);
  // The secret rides after '#', never sent to the server; the page moves it into the form and
  // out of the address bar and history.
  assert.equal(new URL(page.url()).hash, '', 'the link secret leaves the address bar');
  assert.equal(await page.locator('#link-code-field').isHidden(), true, 'no code to type');
  const password = `Quiet harbor ${randomBytes(6).toString('hex')}`;
  await page.locator('#new_password').fill(password);
  await page.getByRole('button', { name: 'Save password' }).click();
  await expectPath(page, '/sign-in');
  assert.equal(new URL(page.url()).searchParams.get('reason'), 'password-set');
  await assert.doesNotReject(page.getByText('Your password is saved').waitFor());

  // The link is single-use.
  {
    const { page: again } = await s.newPage();
    await again.goto(link);
    await again.locator('#new_password').fill(`Another harbor ${randomBytes(6).toString('hex')}`);
    const [answer] = await Promise.all([
      again.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/reset'),
      again.getByRole('button', { name: 'Save password' }).click(),
    ]);
    assert.equal(answer.status(), 400, 'a used link is refused');
    await assert.doesNotReject(again.getByRole('heading', { name: 'This link cannot be used' }).waitFor());
  }

  // First sign-in: no authenticator yet, so the enrollment page.
  const person = { username, password, totp_secret: '' };
  await s.submitPassword(page, person);
  await expectPath(page, '/sign-in/enroll');
  await assert.doesNotReject(page.locator('figure.qr svg').waitFor(), 'a QR code is shown');
  person.totp_secret = (await page.locator('#totp-secret').innerText()).trim();
  assert.match(person.totp_secret, /^[A-Z2-7]{16,}=*$/, 'the key is base32');
  await page.locator('#code').fill(await s.code(person));
  await page.getByRole('button', { name: 'Finish setup' }).click();
  await page.locator('#recovery-codes').waitFor();

  const recovery = (await page.locator('#recovery-codes li code').allInnerTexts()).map((c) => c.trim());
  assert.equal(recovery.length, 10, 'ten recovery codes');
  assert.equal(new Set(recovery).size, 10, 'all different');
  for (const code of recovery) {
    assert.ok(code.length >= 8, `recovery code ${code} is long enough`);
  }
  await expectSessionCookie(context, s.url);

  await page.getByRole('link', { name: /continue/i }).click();
  await expectPath(page, '/');
  await assert.doesNotReject(
    page.getByRole('heading', { level: 1, name: `Good to see you, ${displayName}` }).waitFor(),
  );
  s.expectDocumentNoStore('/');

  // Sign out, then in again with a recovery code instead of the app.
  await s.signOut(page);
  await s.signIn(page, person, { secondFactor: recovery[0] });
  await assert.doesNotReject(
    page.getByRole('heading', { level: 1, name: `Good to see you, ${displayName}` }).waitFor(),
  );

  // The same recovery code does not work twice.
  await s.signOut(page);
  await s.submitPassword(page, person);
  await expectPath(page, '/sign-in/code');
  await page.locator('#code').fill(recovery[0]);
  const [refused] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/sign-in/code'),
    page.getByRole('button', { name: 'Confirm' }).click(),
  ]);
  assert.equal(refused.status(), 401, 'a used recovery code is refused');
  await assert.doesNotReject(page.locator('#form-error').waitFor());
  assert.ok(
    !(await context.cookies()).some((c) => c.name === SESSION_COOKIE),
    'no session after a refused code',
  );
});

suite.test('sign-out ends the session: back and / land on sign-in, the old cookie is refused', async (s) => {
  const hygienist = s.account('hygienist');
  const { context, page } = await s.newPage();
  await s.signIn(page, hygienist);

  await s.open(page, '/account/sessions');
  const current = page.locator('#sessions tbody tr', { hasText: '(this one)' });
  assert.equal(await current.count(), 1, 'the sessions page marks this session');
  const cookie = await expectSessionCookie(context, s.url);

  await s.signOut(page);
  assert.ok(
    !(await context.cookies()).some((c) => c.name === SESSION_COOKIE),
    'signing out removes the session cookie',
  );

  // Back to the account page: it must be fetched again, and the server sends us to sign-in.
  await page.goBack();
  await page.waitForLoadState('load');
  assert.equal(new URL(page.url()).pathname, '/sign-in', `back lands on sign-in, not ${page.url()}`);
  assert.equal(await page.locator('#sessions').count(), 0, 'no session list after sign-out');

  await page.goto('/');
  await expectPath(page, '/sign-in');
  assert.equal(await page.getByText('Good to see you').count(), 0);

  // The old cookie value, replayed in a fresh browser, is refused by the server.
  const { context: replay, page: replayPage } = await s.newPage();
  await replay.addCookies([
    {
      name: SESSION_COOKIE,
      value: cookie.value,
      url: `${s.url}/`,
      secure: true,
      httpOnly: true,
      sameSite: 'Strict',
    },
  ]);
  await replayPage.goto('/');
  await expectPath(replayPage, '/sign-in');
  assert.equal(await replayPage.getByText('Good to see you').count(), 0);
  const me = await s.pageFetch(replayPage, '/api/v1/me');
  assert.equal(me.status, 401, 'the API refuses the old cookie too');
  const sessions = await replayPage.goto('/account/sessions');
  assert.equal(new URL(replayPage.url()).pathname, '/sign-in', 'no sessions page with the old cookie');
  assert.ok(sessions);
  // The refused cookie stays in this browser until it expires; clear it before the checks.
  await replay.clearCookies();
});

suite.test('front desk is refused the users and audit pages with a plain 403 page', async (s) => {
  const frontDesk = s.account('front_desk');
  const { page } = await s.newPage();
  await s.signIn(page, frontDesk);

  for (const path of ['/admin/users', '/compliance/audit']) {
    const response = await page.goto(path);
    assert.equal(response.status(), 403, `${path} is refused`);
    await expectNoStore(response, `GET ${path}`);
    assert.match(await page.title(), /^Not available to your role\b/, `${path} title`);
    assert.equal(
      (await page.locator('h1').innerText()).trim(),
      'Not available to your role',
      `${path} heading`,
    );
    // Plain: no navigation, no data of the refused page.
    assert.equal(await page.locator('header nav').count(), 0, `${path}: no navigation on the refusal`);
    assert.equal(await page.locator('#users, #audit-events, table').count(), 0, `${path}: no table`);
  }
  // Still signed in: the refusal did not end the session.
  await s.open(page, '/');
});

suite.test('break-glass: refused, emergency access, allowed, reviewed as justified', async (s) => {
  const compliance = s.account('compliance_officer');
  const admin = s.account('practice_administrator');
  const assistant = s.account('dental_assistant');

  // A synthetic patient's id, from the audit log of the demo's patient creation.
  const complianceApi = await s.api(compliance);
  const events = await complianceApi.get('/api/v1/audit/events?action=create&limit=5');
  assert.equal(events.status(), 200, await events.text());
  const patientIds = (await events.json()).events.map((e) => e.patient_id).filter(Boolean);
  assert.ok(patientIds.length > 0, 'the demo created patients');
  const patientId = patientIds[0];

  // The administrator takes demographics/view away from dental assistants.
  const adminApi = await s.api(admin);
  const setCell = async (allowed) =>
    adminApi.put('/api/v1/policy', {
      data: { role: 'dental_assistant', category: 'demographics', action: 'view', allowed },
    });
  const removed = await setCell(false);
  assert.ok([200, 204].includes(removed.status()), `policy change: ${removed.status()} ${await removed.text()}`);

  try {
    const { page } = await s.newPage();
    await s.signIn(page, assistant);

    const refused = await s.pageFetch(page, `/api/v1/patients/${patientId}`);
    assert.equal(refused.status, 403, `refused before emergency access: ${refused.body}`);
    assert.equal(refused.cacheControl, 'no-store');
    assert.ok(!refused.body.includes('birth_date'), 'no patient data in the refusal');

    await s.open(page, '/emergency');
    const form = page.locator('form[action="/emergency"]');
    await page.locator('#patient_id').fill(patientId);
    await page.locator('#justification').fill('Patient in pain');
    // The server must refuse it too, whatever the browser's own form checks would do.
    await form.evaluate((f) => {
      f.noValidate = true;
    });
    const [short] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/emergency'),
      page.getByRole('button', { name: 'Open emergency access' }).click(),
    ]);
    await page.locator('#form-error').waitFor();
    assert.equal(short.status(), 422, 'a too-short justification is refused');
    await expectNoStore(short, 'POST /emergency');
    assert.match(await page.locator('#form-error').innerText(), /at least 20 characters/);
    assert.equal(await page.locator('#granted').count(), 0, 'nothing granted');
    const stillRefused = await s.pageFetch(page, `/api/v1/patients/${patientId}`);
    assert.equal(stillRefused.status, 403, 'a refused request opens nothing');

    const justification = `Patient arrived with facial swelling; allergy check needed now ${randomBytes(3).toString('hex')}`;
    await page.locator('#patient_id').fill(patientId);
    await page.locator('#justification').fill(justification);
    const [granted] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/emergency'),
      page.getByRole('button', { name: 'Open emergency access' }).click(),
    ]);
    await page.locator('#granted').waitFor();
    assert.equal(granted.status(), 200);
    await expectNoStore(granted, 'POST /emergency');
    const grantedText = await page.locator('#granted').innerText();
    assert.ok(grantedText.includes(patientId), `the grant names the patient: ${grantedText}`);

    const allowed = await s.pageFetch(page, `/api/v1/patients/${patientId}`);
    assert.equal(allowed.status, 200, `allowed under emergency access: ${allowed.body}`);
    assert.equal(allowed.cacheControl, 'no-store');
    assert.equal(JSON.parse(allowed.body).id, patientId);
    // Only this patient.
    const other = patientIds.find((id) => id !== patientId);
    if (other) {
      const otherAnswer = await s.pageFetch(page, `/api/v1/patients/${other}`);
      assert.equal(otherAnswer.status, 403, 'emergency access covers only the one patient');
    }

    // The compliance officer reviews it.
    const { page: review } = await s.newPage();
    await s.signIn(review, compliance);
    await s.open(review, '/compliance/emergency');
    const item = review.locator('section.review', { hasText: justification });
    assert.equal(await item.count(), 1, 'the grant waits for review');
    assert.ok((await item.innerText()).includes(patientId));
    const grantHeading = (await item.locator('h2').innerText()).trim();
    const [reviewed] = await Promise.all([
      review.waitForResponse(
        (r) => r.request().method() === 'GET' && new URL(r.url()).pathname === '/compliance/emergency',
      ),
      item.getByRole('button', { name: 'Justified' }).click(),
    ]);
    assert.equal(reviewed.status(), 200, 'back to the queue after the review');
    await expectNoStore(reviewed, 'GET /compliance/emergency');
    await assert.doesNotReject(
      review.locator('section.review', { hasText: justification }).waitFor({ state: 'detached' }),
      'a reviewed grant leaves the queue',
    );
    await expectPath(review, '/compliance/emergency');
    await assert.doesNotReject(review.getByRole('heading', { level: 1, name: 'Emergency access to review' }).waitFor());
    assert.equal(await review.getByRole('heading', { name: grantHeading }).count(), 0);

    // And the audit log shows the emergency access and the read it allowed.
    await s.open(review, `/compliance/audit?patient=${encodeURIComponent(patientId)}`);
    // Columns: #, time, user, role, action, outcome, record, patient, via, note.
    const rows = await review
      .locator('#audit-events tbody tr')
      .evaluateAll((trs) => trs.map((tr) => [...tr.cells].map((td) => td.textContent.trim())));
    assert.ok(
      rows.some((r) => r[4] === 'emergency_access' && r[5] === 'allowed' && r[7] === patientId),
      `the emergency access is in the audit log: ${JSON.stringify(rows)}`,
    );
    assert.ok(
      rows.some((r) => r[4] === 'view' && r[5] === 'allowed' && r[7] === patientId),
      `the read under emergency access is in the audit log: ${JSON.stringify(rows)}`,
    );
  } finally {
    const restored = await setCell(true);
    if (![200, 204].includes(restored.status())) {
      console.error(`could not restore the policy: ${restored.status()} ${await restored.text()}`);
    }
  }
});
