// Patient records in the staff pages, against one `enamel demo` server and its 300 synthetic
// patients: finding a patient as you type (and without JavaScript), the face sheet and what
// each role sees of it, creating a record with inline errors, editing, a conflicting edit,
// deactivation, and keyboard-only use. Each test signs in a different role, so no test waits
// for a fresh authenticator code. The harness also checks, after every test, that nothing was
// kept in web storage and that every page and fetch answer said `Cache-Control: no-store`.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';

import { browserSuite, expectPath } from '../lib/harness.js';

const suite = browserSuite();

const NOT_SHOWN = 'Not shown for your role.';
const CONFLICT =
  'Someone else changed this record while you were editing. Your changes were not saved; the current record is shown.';
const FACE_SHEET = /^\/patients\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Lower-case letters only (names refuse digits nowhere, but letters read as a name). */
function letters(n) {
  return [...randomBytes(n)].map((b) => String.fromCharCode(97 + (b % 26))).join('');
}

/**
 * Every search the page sends to the API, as it leaves the browser: the criteria travel in the
 * body of a POST, and no request to the patient API carries a query string.
 */
function watchSearches(page) {
  const sent = [];
  sent.withQuery = [];
  page.on('request', (r) => {
    const url = new URL(r.url());
    if (url.pathname.startsWith('/api/v1/patients') && url.search !== '') {
      sent.withQuery.push(url.toString());
    }
    if (url.pathname === '/api/v1/patients/search' && r.method() === 'POST') {
      sent.push(JSON.parse(r.postData() ?? '{}'));
    }
  });
  return sent;
}

/** Waits for a face sheet and returns the patient id in its address. */
async function expectFaceSheet(s, page) {
  await page.waitForURL((url) => FACE_SHEET.test(url.pathname));
  const { pathname } = new URL(page.url());
  s.expectDocumentNoStore(pathname);
  return pathname.split('/').at(-1);
}

/** Submits the page's form with `button` and returns the answer to the POST. */
async function submit(page, button, path) {
  const [answer] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === path),
    page.getByRole('button', { name: button, exact: true }).click(),
  ]);
  await page.waitForLoadState('load');
  return answer;
}

async function focusedId(page) {
  return page.evaluate(() => document.activeElement?.id ?? '');
}

suite.test('front desk finds a patient as they type and sees contact, insurance and household', async (s) => {
  const { page } = await s.newPage();
  await s.signIn(page, s.account('front_desk'));
  const searches = watchSearches(page);

  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Patients' }).click();
  await expectPath(page, '/patients');
  s.expectDocumentNoStore('/patients');

  const name = page.locator('#find-name');
  await name.pressSequentially('m');
  await sleep(800);
  assert.equal(searches.length, 0, 'one letter asks the server nothing');

  await name.pressSequentially('olar', { delay: 30 });
  const rows = page.locator('#patient-results tbody tr');
  await rows.first().waitFor();
  await sleep(800); // a second, late request would have left by now
  assert.equal(searches.length, 1, `one request for one pause in typing: ${JSON.stringify(searches)}`);
  assert.equal(searches[0].name, 'molar');
  assert.deepEqual(searches.withQuery, [], 'no criteria in any address');
  assert.equal(new URL(page.url()).search, '', 'results came in place, the page did not reload');
  const names = await rows.locator('td:first-child').allInnerTexts();
  assert.ok(names.length >= 2, `several Molars: ${names}`);
  for (const n of names) {
    assert.match(n, /^Molar(-Synthetic)?, /, 'every result is a Molar');
  }
  assert.match(await page.locator('#results-summary').innerText(), /^\d+ patients match/);
  const headers = await page.locator('#patient-results thead th').allInnerTexts();
  assert.deepEqual(headers, ['Name', 'Preferred name', 'Date of birth', 'Chart number', 'Status', 'Phone']);
  assert.match(await rows.first().locator('td').nth(5).innerText(), /^\(555\) 010-\d{4}$/);

  // Typing more narrows the list with one more request.
  await name.pressSequentially(' de', { delay: 30 });
  await page.locator('#patient-results tbody tr', { hasText: 'Molar, Demo' }).first().waitFor();
  await sleep(800);
  assert.equal(searches.length, 2, `one more request: ${JSON.stringify(searches)}`);
  assert.ok((await rows.locator('td:first-child').allInnerTexts()).every((n) => /, Demo$/.test(n)));

  await rows.first().getByRole('link').click();
  const id = await expectFaceSheet(s, page);
  assert.equal((await page.locator('h1').innerText()).trim(), 'Demo Molar');
  assert.match(await page.locator('#contact-email').innerText(), /^patient\d+@example\.test$/);
  assert.match(await page.locator('#contact-phones').innerText(), /\(555\) 010-\d{4}/);
  assert.match(await page.locator('#contact-address').innerText(), /Testville/);
  const carriers = await page.locator('#coverages tbody tr td:nth-child(2)').allInnerTexts();
  assert.ok(carriers.length >= 1, 'an insurance coverage is shown');
  assert.equal(await page.getByText(NOT_SHOWN).count(), 0, 'nothing is withheld from the front desk');
  assert.equal(await page.locator('#edit-patient').count(), 1, 'the front desk may edit');
  assert.equal(await page.locator('#deactivate').count(), 1, 'and deactivate');
  assert.equal(await page.locator('#emergency-banner').count(), 0);

  // A minor's face sheet links to the guarantor who pays and is responsible for them.
  const found = JSON.parse((await s.pageFetch(page, '/api/v1/patients?name=molar&limit=100')).body);
  const youngest = new Date().getUTCFullYear() - 17;
  const minor = found.results.find((p) => Number(p.birth_date.slice(0, 4)) >= youngest);
  assert.ok(minor, 'the demo has a minor Molar');
  assert.notEqual(minor.id, id);
  await s.open(page, `/patients/${minor.id}`);
  assert.equal((await page.locator('#patient-minor').innerText()).trim(), 'Minor');
  assert.match(await page.locator('#household').innerText(), /Minor \(under 18\)/);
  assert.equal(await page.locator('#responsible-link').count(), 1, 'a responsible party');
  await page.locator('#guarantor-link').click();
  const guarantor = await expectFaceSheet(s, page);
  assert.notEqual(guarantor, minor.id);
  assert.match(await page.locator('#household').innerText(), /This patient \(pays for themself\)/);
  assert.equal(await page.locator('#patient-minor').count(), 0, 'the guarantor is an adult');
});

suite.test('a new patient: a bad phone is refused next to its field, then saved, edited and deactivated', async (s) => {
  const { page } = await s.newPage();
  await s.signIn(page, s.account('office_manager'));
  await s.open(page, '/patients');
  await page.getByRole('link', { name: 'New patient' }).click();
  await expectPath(page, '/patients/new');
  s.expectDocumentNoStore('/patients/new');

  const inputs = page.locator('#patient-form input:not([type=hidden]), #patient-form select');
  const shape = await inputs.evaluateAll((els) =>
    els.map((e) => ({ id: e.id, autocomplete: e.getAttribute('autocomplete'), labels: e.labels?.length ?? 0 })),
  );
  assert.ok(shape.length > 40, `the whole record is on the form (${shape.length} inputs)`);
  assert.deepEqual(shape.filter((e) => e.autocomplete !== 'off').map((e) => e.id), [], 'autocomplete is off');
  assert.deepEqual(shape.filter((e) => e.labels !== 1).map((e) => e.id), [], 'every input has its label');

  const suffix = letters(8);
  const given = `Test${suffix}`;
  const email = `bicuspid.${suffix}@example.test`;
  const fill = async (values) => {
    for (const [id, value] of Object.entries(values)) {
      await page.locator(`#${id}`).fill(value);
    }
  };
  await fill({
    family_name: 'Bicuspid-Test',
    given_name: given,
    preferred_name: 'Amp&amp',
    birth_date: '1991-04-05',
    preferred_language: 'en',
    email,
    phone1_number: '555-01',
    addr_line1: '1 Floss Street',
    addr_city: 'Testville',
    addr_region: 'TS',
    addr_postal_code: '00042',
    ec_name: 'Canine Test',
    ec_relationship: 'sibling',
    ec_phone: '(555) 010-0177',
    cov1_carrier: 'Synthetic Dental Mutual',
    cov1_plan: 'PPO',
    cov1_group_number: 'GRP-7',
    cov1_subscriber_id: `SYN${suffix.toUpperCase()}`,
  });
  await page.locator('#sex').selectOption('female');

  const refused = await submit(page, 'Save patient', '/patients/new');
  assert.equal(refused.status(), 422);
  await expectPath(page, '/patients/new');
  const inline = page.locator('#phone1_number-error');
  assert.match(await inline.innerText(), /^Phone 1 number must be a phone number such as/);
  const nextToIt = await page
    .locator('#phone1_number')
    .evaluate((input) => input.closest('.field')?.querySelector('.field-error')?.id ?? '');
  assert.equal(nextToIt, 'phone1_number-error', 'the error sits with the phone field');
  assert.equal(await page.locator('#phone1_number').getAttribute('aria-invalid'), 'true');
  assert.match(await page.locator('#phone1_number').getAttribute('aria-describedby'), /phone1_number-error/);
  const summary = page.locator('#form-error');
  assert.equal(await summary.getAttribute('role'), 'alert');
  assert.deepEqual(await summary.locator('a').evaluateAll((as) => as.map((a) => a.getAttribute('href'))), [
    '#phone1_number',
  ]);
  assert.equal(await focusedId(page), 'phone1_number', 'the field to correct has the focus');
  assert.equal(await page.locator('#family_name').inputValue(), 'Bicuspid-Test', 'what was typed is kept');
  assert.equal(await page.locator('#cov1_carrier').inputValue(), 'Synthetic Dental Mutual');
  const query = encodeURIComponent(`bicuspid-test ${given}`);
  const none = JSON.parse((await s.pageFetch(page, `/api/v1/patients?name=${query}`)).body);
  assert.equal(none.total, 0, 'nothing was created');

  await page.locator('#phone1_number').fill('(555) 010-0142');
  await submit(page, 'Save patient', '/patients/new');
  const id = await expectFaceSheet(s, page);
  assert.equal((await page.locator('p[role=status]').innerText()).trim(), 'The new patient is saved.');
  assert.equal((await page.locator('h1').innerText()).trim(), `${given} Bicuspid-Test`);
  assert.equal((await page.locator('#contact-email').innerText()).trim(), email);
  assert.match(await page.locator('#contact-phones').innerText(), /\(555\) 010-0142 \(Mobile\)/);
  assert.equal((await page.locator('#contact-emergency').innerText()).trim(), 'Canine Test (sibling), (555) 010-0177');
  assert.match(await page.locator('#coverages tbody').innerText(), /Primary\s+Synthetic Dental Mutual\s+PPO\s+GRP-7/);

  // Found as you type; the preferred name is shown as text, never as markup.
  await s.open(page, '/patients');
  await page.locator('#find-name').pressSequentially(`bicuspid-test ${given.slice(0, 7)}`, { delay: 20 });
  const row = page.locator('#patient-results tbody tr');
  await row.first().waitFor();
  assert.equal(await row.count(), 1);
  assert.equal(await row.locator('td').nth(1).textContent(), 'Amp&amp');
  assert.equal(await row.getByRole('link').getAttribute('href'), `/patients/${id}`);

  // Edit the e-mail.
  await s.open(page, `/patients/${id}`);
  await page.getByRole('link', { name: 'Edit', exact: true }).click();
  await expectPath(page, `/patients/${id}/edit`);
  s.expectDocumentNoStore(`/patients/${id}/edit`);
  assert.equal(await page.locator('#email').inputValue(), email);
  assert.equal(await page.locator('#phone1_number').inputValue(), '(555) 010-0142');
  const changed = `changed.${suffix}@example.test`;
  await page.locator('#email').fill(changed);
  await submit(page, 'Save changes', `/patients/${id}/edit`);
  await expectPath(page, `/patients/${id}`);
  assert.equal((await page.locator('p[role=status]').innerText()).trim(), 'Your changes are saved.');
  assert.equal((await page.locator('#contact-email').innerText()).trim(), changed);

  // Saving without a change says so.
  await page.getByRole('link', { name: 'Edit', exact: true }).click();
  await expectPath(page, `/patients/${id}/edit`);
  await submit(page, 'Save changes', `/patients/${id}/edit`);
  await expectPath(page, `/patients/${id}`);
  assert.equal((await page.locator('p[role=status]').innerText()).trim(), 'Nothing was changed.');

  // Deactivate: a confirm step, then the record stays readable as inactive.
  await page.locator('#deactivate summary').click();
  await submit(page, 'Deactivate this patient', `/patients/${id}/deactivate`);
  await expectPath(page, `/patients/${id}`);
  assert.match(await page.locator('p[role=status]').innerText(), /^The patient is now inactive/);
  assert.equal((await page.locator('#patient-status').innerText()).trim(), 'Inactive');
  assert.equal(await page.locator('#deactivate').count(), 0, 'nothing left to deactivate');
  const inactive = JSON.parse((await s.pageFetch(page, `/api/v1/patients?name=${query}&status=inactive`)).body);
  assert.deepEqual(inactive.results.map((p) => p.id), [id]);
});

suite.test('two pages edit the same record: the second save gets the conflict message', async (s) => {
  const { context, page: first } = await s.newPage();
  await s.signIn(first, s.account('dentist'));
  const given = `Test${letters(8)}`;
  await s.open(first, '/patients/new');
  await first.locator('#family_name').fill('Bicuspid-Test');
  await first.locator('#given_name').fill(given);
  await first.locator('#birth_date').fill('1985-11-12');
  await submit(first, 'Save patient', '/patients/new');
  const id = await expectFaceSheet(s, first);

  const second = await context.newPage();
  await s.open(second, `/patients/${id}/edit`);
  await s.open(first, `/patients/${id}/edit`);
  assert.equal(await first.locator('input[name=row_version]').inputValue(), '1');

  await first.locator('#preferred_name').fill('Ally');
  await submit(first, 'Save changes', `/patients/${id}/edit`);
  await expectPath(first, `/patients/${id}`);
  assert.equal((await first.locator('p[role=status]').innerText()).trim(), 'Your changes are saved.');

  await second.locator('#email').fill('second.page@example.test');
  const conflict = await submit(second, 'Save changes', `/patients/${id}/edit`);
  assert.equal(conflict.status(), 409);
  assert.equal((await second.locator('#conflict').innerText()).trim(), CONFLICT);
  assert.equal(await second.locator('#conflict').getAttribute('role'), 'alert');
  assert.equal(await second.locator('#preferred_name').inputValue(), 'Ally', 'the current record is shown');
  assert.equal(await second.locator('#email').inputValue(), '', 'the refused change is not in it');
  assert.equal(await second.locator('input[name=row_version]').inputValue(), '2');

  await s.open(first, `/patients/${id}`);
  assert.equal((await first.locator('#contact-email').innerText()).trim(), '\u2014', 'the second save changed nothing');

  // Applied again on top of the current record, it goes through.
  await second.locator('#email').fill('second.page@example.test');
  await submit(second, 'Save changes', `/patients/${id}/edit`);
  await expectPath(second, `/patients/${id}`);
  assert.equal((await second.locator('#contact-email').innerText()).trim(), 'second.page@example.test');
  assert.match(await second.locator('#demographics').innerText(), /Preferred name\s+Ally/);
});

suite.test('the hygienist sees no insurance and cannot change a record', async (s) => {
  const { page } = await s.newPage();
  await s.signIn(page, s.account('hygienist'));
  await s.open(page, '/patients');
  assert.equal(await page.getByRole('link', { name: 'New patient' }).count(), 0);
  await page.locator('#find-name').pressSequentially('canine', { delay: 20 });
  await page.locator('#patient-results tbody tr').first().waitFor();
  await page.locator('#patient-results tbody tr').first().getByRole('link').click();
  const id = await expectFaceSheet(s, page);

  assert.equal((await page.locator('#insurance .withheld').innerText()).trim(), NOT_SHOWN);
  assert.equal(await page.locator('#coverages').count(), 0, 'no insurance table');
  assert.match(await page.locator('#contact-phones').innerText(), /\(555\) 010-\d{4}/, 'contact is shown');
  assert.equal(await page.locator('#edit-patient').count(), 0, 'no Edit link');
  assert.equal(await page.locator('#deactivate').count(), 0, 'no Deactivate button');
  const insurance = JSON.parse((await s.pageFetch(page, `/api/v1/patients/${id}`)).body);
  assert.deepEqual(insurance.withheld, ['insurance'], 'the API withholds the same');

  // Hiding is a courtesy: the server refuses the pages and the change itself.
  for (const path of [`/patients/${id}/edit`, '/patients/new']) {
    const response = await page.goto(path);
    assert.equal(response.status(), 403, `${path} is refused`);
    assert.equal((await page.locator('h1').innerText()).trim(), 'Not available to your role');
  }
  await s.open(page, `/patients/${id}`);
  const [refused] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST'),
    page.evaluate((patient) => {
      const form = document.createElement('form');
      form.method = 'post';
      form.action = `/patients/${patient}/deactivate`;
      for (const [name, value] of [
        ['csrf', document.querySelector('input[name=csrf]').value],
        ['row_version', '1'],
      ]) {
        const input = document.createElement('input');
        input.type = 'hidden';
        input.name = name;
        input.value = value;
        form.append(input);
      }
      document.body.append(form);
      form.submit();
    }, id),
  ]);
  assert.equal(refused.status(), 403, 'deactivation is refused by the server');
  await expectPath(page, `/patients/${id}/deactivate`);
  await assert.doesNotReject(page.getByRole('heading', { level: 1, name: 'Not available to your role' }).waitFor());
  await s.open(page, `/patients/${id}`);
  assert.equal((await page.locator('#patient-status').innerText()).trim(), 'Active');
});

/**
 * Runs `act` (which posts the search form) and waits until the answer's page has loaded:
 * the address stays `/patients`, so waiting for a URL would not wait at all.
 */
async function postedSearch(page, act) {
  const done = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/patients'),
    page.waitForEvent('framenavigated', (f) => f === page.mainFrame()),
    act(),
  ]);
  await page.waitForLoadState('load');
  return done;
}

suite.test('the search works with the keyboard alone: Tab, typing, Enter', async (s) => {
  const { page } = await s.newPage();
  await s.signIn(page, s.account('billing'));
  await s.open(page, '/patients');

  /** Presses Tab until `check` holds for the focused element (at most `limit` times). */
  async function tabUntil(check, what, limit = 20) {
    for (let i = 0; i <= limit; i += 1) {
      if (await page.evaluate(check)) {
        return;
      }
      await page.keyboard.press('Tab');
    }
    assert.fail(`Tab never reached ${what} (focus is on #${await focusedId(page)})`);
  }

  await tabUntil(() => document.activeElement?.id === 'find-name', 'the name box');
  await page.keyboard.type('incisor');
  // Enter posts the form: the name never enters the address bar or the history.
  const [posted] = await postedSearch(page, () => page.keyboard.press('Enter'));
  assert.equal(posted.status(), 200);
  await expectPath(page, '/patients');
  assert.equal(new URL(page.url()).search, '', 'no query in the address');
  s.expectDocumentNoStore('/patients');
  const rows = page.locator('#patient-results tbody tr');
  assert.ok((await rows.count()) >= 1, 'the server lists the results');

  await tabUntil(() => document.activeElement?.matches('#patient-results a') ?? false, 'the first result');
  const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
  assert.notEqual(outline, 'none', 'the focused link is visibly marked');
  const href = await page.evaluate(() => document.activeElement.getAttribute('href'));
  await page.keyboard.press('Enter');
  await expectPath(page, href);
  s.expectDocumentNoStore(href);
  assert.match(await page.locator('h1').innerText(), /Incisor/);
});

suite.test('without JavaScript the search is a plain form with pages of results', async (s) => {
  const { page } = await s.newPage({ javaScriptEnabled: false });
  await s.signIn(page, s.account('compliance_officer'));
  await s.open(page, '/patients');
  await page.locator('#find-name').fill('s');
  await page.getByRole('button', { name: 'Search', exact: true }).click();
  await page.waitForLoadState('load');
  await expectPath(page, '/patients');
  s.expectDocumentNoStore('/patients');
  assert.match(await page.locator('#results-summary').innerText(), /^(More than )?\d+ patients match; showing 1 to 25\.$/);
  assert.equal(await page.locator('#patient-results tbody tr').count(), 25);
  const headers = await page.locator('#patient-results thead th').allInnerTexts();
  assert.ok(!headers.includes('Phone'), 'no phone column for a role that may not see contact details');

  assert.equal(await page.locator('form#find').getAttribute('method'), 'post');
  assert.equal(new URL(page.url()).search, '', 'the search is posted: no query in the address');
  // Paging posts the same form again with the positions of the pages so far; the address stays bare.
  assert.equal(await page.locator('.pager a').count(), 0, 'no paging links repeating the query');
  await postedSearch(page, () => page.getByRole('button', { name: 'Next page' }).click());
  assert.equal(new URL(page.url()).search, '');
  assert.match(await page.locator('#results-summary').innerText(), /showing 26 to \d+\.$/);
  assert.equal(await page.getByRole('button', { name: 'Previous page' }).count(), 1);

  await page.locator('#patient-results tbody tr').first().getByRole('link').click();
  await expectFaceSheet(s, page);
  assert.equal((await page.locator('#contact .withheld').innerText()).trim(), NOT_SHOWN);
  assert.equal((await page.locator('#insurance .withheld').innerText()).trim(), NOT_SHOWN);
});

suite.test('emergency access: no Patients link without the role, a banner on the one face sheet opened', async (s) => {
  const admin = s.account('practice_administrator');
  const assistant = s.account('dental_assistant');
  const adminApi = await s.api(admin);
  const found = await adminApi.get('/api/v1/patients?name=enamel');
  assert.equal(found.status(), 200, await found.text());
  const patient = (await found.json()).results[0];
  assert.ok(patient, 'a demo patient to open');

  const setCell = (allowed) =>
    adminApi.put('/api/v1/policy', {
      data: { role: 'dental_assistant', category: 'demographics', action: 'view', allowed },
    });
  const removed = await setCell(false);
  assert.ok([200, 204].includes(removed.status()), `policy change: ${removed.status()} ${await removed.text()}`);
  try {
    const { page } = await s.newPage();
    await s.signIn(page, assistant);
    const nav = page.getByRole('navigation', { name: 'Main' });
    assert.equal(await nav.getByRole('link', { name: 'Patients' }).count(), 0, 'no Patients link for this role now');
    await s.open(page, '/patients');
    await page.locator('#find-name').fill('enamel');
    const [search] = await postedSearch(page, () => page.getByRole('button', { name: 'Search', exact: true }).click());
    assert.equal(search.status(), 403, 'the search is refused too');
    await s.open(page, `/patients/${patient.id}`, { status: 403 });
    assert.equal(await page.locator('#emergency-banner').count(), 0);

    await s.open(page, '/emergency');
    await page.locator('#patient_id').fill(patient.id);
    await page.locator('#justification').fill(`Patient at the chair with swelling; allergies needed ${letters(4)}`);
    await page.getByRole('button', { name: 'Open emergency access' }).click();
    await page.locator('#granted').waitFor();

    await s.open(page, `/patients/${patient.id}`);
    const banner = page.locator('#emergency-banner');
    assert.equal(await banner.getAttribute('role'), 'alert');
    assert.match(await banner.innerText(), /^Emergency access\. .*recorded.*review/);
    assert.equal(
      (await page.locator('#demographics dd').first().innerText()).trim(),
      patient.family_name,
      'the record is shown',
    );
  } finally {
    const restored = await setCell(true);
    if (![200, 204].includes(restored.status())) {
      console.error(`could not restore the policy: ${restored.status()} ${await restored.text()}`);
    }
  }
});
