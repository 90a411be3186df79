// The chart page at the chair, against one `enamel demo` server: a filling charted on two
// surfaces by keyboard only (Tab to the teeth, arrow keys, Enter, surface letters typed as
// toggles, the code chosen by typing, the form sent), seen on the odontogram and in the
// timeline, then completed and given an addendum; without JavaScript, a refused surface named
// next to its field and corrected; and a tooth marked missing by keyboard only (chosen on the
// odontogram, the state chosen with an arrow key) and drawn so. Each test signs in a different
// role in the browser (only three roles may chart, so the last one reuses the dental assistant
// the second used through the API; the harness waits for a fresh authenticator code if it must).
// The harness also checks, after every test, that nothing was kept in web storage and that every
// page and fetch answer said `Cache-Control: no-store`.

import assert from 'node:assert/strict';

import { browserSuite, expectPath } from '../lib/harness.js';

const suite = browserSuite();

const CHART = /^\/patients\/[0-9a-f-]{36}\/chart$/;

/** A demo patient's id, found through the API as the page's own script would. */
async function somePatient(s, page, name) {
  const found = JSON.parse((await s.pageFetch(page, `/api/v1/patients?name=${name}&limit=1`)).body);
  assert.ok(found.results?.length, `the demo has a patient named ${name}`);
  return found.results[0].id;
}

/** Content-Security-Policy complaints the page raised (an inline script or style would). */
function watchCsp(page) {
  const complaints = [];
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) {
      complaints.push(m.text());
    }
  });
  return complaints;
}

async function focused(page) {
  return page.evaluate(() => {
    const e = document.activeElement;
    return {
      id: e?.id ?? '',
      tooth: e?.getAttribute?.('data-tooth') ?? null,
      label: e?.getAttribute?.('aria-label') ?? '',
      role: e?.getAttribute?.('role') ?? '',
    };
  });
}

/** Presses Tab until `done(focused)` holds (at most `max` times); returns the focus. */
async function tabUntil(page, done, max = 15) {
  for (let i = 0; i < max; i += 1) {
    await page.keyboard.press('Tab');
    const f = await focused(page);
    if (done(f)) {
      return f;
    }
  }
  throw new assert.AssertionError({ message: `Tab never reached it: at ${JSON.stringify(await focused(page))}` });
}

async function toothLabel(page, universal) {
  return page.locator(`#teeth-permanent g.tooth[data-tooth="${universal}"]`).getAttribute('aria-label');
}

suite.test('a dentist charts a filling by keyboard only, completes it and adds an addendum', async (s) => {
  const { page } = await s.newPage();
  const csp = watchCsp(page);
  await s.signIn(page, s.account('dentist'));
  const id = await somePatient(s, page, 'molar');

  // From the face sheet to the chart, by keyboard.
  await s.open(page, `/patients/${id}`);
  await page.locator('#open-chart').focus();
  await page.keyboard.press('Enter');
  await expectPath(page, `/patients/${id}/chart`);
  s.expectDocumentNoStore(`/patients/${id}/chart`);
  const rowsBefore = await page.locator('#timeline tbody tr').count();

  // Tab reaches the teeth once (a roving tab stop), at the first tooth.
  await page.locator('#as-of').focus();
  let at = await tabUntil(page, (f) => f.tooth !== null);
  assert.equal(at.tooth, '1', 'the teeth are entered at tooth 1');
  assert.equal(at.role, 'button');
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowRight');
  at = await focused(page);
  assert.equal(at.tooth, '3');
  assert.match(at.label, /^tooth 3, /);
  await page.keyboard.press('ArrowDown');
  assert.equal((await focused(page)).tooth, '30', 'down to the lower tooth facing it');
  await page.keyboard.press('ArrowUp');
  assert.equal((await focused(page)).tooth, '3');
  await page.keyboard.press('Enter');
  at = await focused(page);
  assert.equal(at.id, 'surfaces', 'Enter puts the tooth in the form and moves on to its surfaces');
  assert.equal(await page.locator('#tooth').inputValue(), '3');
  assert.equal(await page.locator('#tooth-3').getAttribute('aria-pressed'), 'true');

  // Surface letters toggle, in canonical order; letters that are no surface are ignored.
  await page.keyboard.type('odmxd');
  assert.equal(await page.locator('#surfaces').inputValue(), 'MO');
  assert.equal(await page.locator('#tooth-3 .region.preview').count(), 2, 'the tooth shows M and O');

  // The code by typing its beginning; then Tab to the button.
  await page.keyboard.press('Tab');
  assert.equal((await focused(page)).id, 'code');
  await page.keyboard.type('X2120');
  assert.equal(await page.locator('#code').inputValue(), 'X2120');
  assert.equal(await page.locator('#area').isVisible(), false, 'a surface code needs no area');
  await tabUntil(page, (f) => f.id === 'chart-submit');
  const [answer] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === `/patients/${id}/chart`),
    page.keyboard.press('Enter'),
  ]);
  assert.equal(answer.status(), 303);
  await page.waitForLoadState('load');
  await expectPath(page, `/patients/${id}/chart`);
  s.expectDocumentNoStore(`/patients/${id}/chart`);
  assert.equal((await page.locator('p[role=status]').innerText()).trim(), 'Charted.');

  // On the odontogram: mesial and occlusal of tooth 3 in the planned pattern, and said so.
  assert.match(await toothLabel(page, '3'), /mesial and occlusal: planned Demo: filling, two surfaces/);
  const drawn = await page
    .locator('#tooth-3 .region[data-status]')
    .evaluateAll((rs) => rs.map((r) => `${r.getAttribute('data-s')}:${r.getAttribute('fill')}`));
  assert.ok(drawn.includes('M:url(#p-planned)') && drawn.includes('O:url(#p-planned)'), drawn.join(' '));
  // In the timeline, last (oldest first).
  const rows = page.locator('#timeline tbody tr');
  assert.equal(await rows.count(), rowsBefore + 1);
  const row = rows.last();
  const cells = await row.locator('td').allInnerTexts();
  assert.equal(cells[0].trim(), 'Planned');
  assert.deepEqual(cells.slice(1, 4), ['X2120', 'Demo: filling, two surfaces', 'Tooth 3 MO']);
  assert.equal(cells[6], '$195.00');
  const rowId = (await row.getAttribute('id')).replace(/^proc-/, '');

  // Complete it.
  await row.locator('summary').click();
  await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith(`/${rowId}/complete`)),
    row.getByRole('button', { name: 'Mark complete' }).click(),
  ]);
  await page.waitForLoadState('load');
  assert.equal((await page.locator('p[role=status]').innerText()).trim(), 'Marked complete.');
  const completed = page.locator(`#proc-${rowId}`);
  assert.match(await completed.locator('td.status').innerText(), /^Completed\s+Locks /);
  assert.match(await toothLabel(page, '3'), /mesial and occlusal: completed Demo: filling, two surfaces/);

  // Add an addendum.
  await completed.locator('summary').click();
  await completed.getByLabel('Addendum').fill('Synthetic addendum: checked the contact point.');
  await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith(`/${rowId}/addenda`)),
    completed.getByRole('button', { name: 'Add addendum' }).click(),
  ]);
  await page.waitForLoadState('load');
  assert.equal((await page.locator('p[role=status]').innerText()).trim(), 'The addendum is saved.');
  assert.match(
    await page.locator(`#proc-${rowId} td.notes`).innerText(),
    /Addendum \(\d{4}-\d{2}-\d{2} \d{2}:\d{2} [^)]+\)\s+Synthetic addendum: checked the contact point\./,
  );
  s.expectDocumentNoStore(`/patients/${id}/chart`);
  assert.deepEqual(csp, [], 'no Content-Security-Policy complaint');
  assert.ok(CHART.test(new URL(page.url()).pathname));
});

suite.test('without JavaScript, a refused surface is named next to its field, then charted', async (s) => {
  const { page } = await s.newPage({ javaScriptEnabled: false });
  await s.signIn(page, s.account('hygienist'));
  // An API client finds the patient (the page's own search needs JavaScript).
  const api = await s.api(s.account('dental_assistant'));
  const found = await (await api.get('/api/v1/patients?name=molar&limit=2')).json();
  assert.equal(found.results?.length, 2, 'the demo has Molars');
  const id = found.results[1].id;

  await s.open(page, `/patients/${id}/chart`);
  assert.equal(await page.locator('#tooth-3').getAttribute('role'), 'img', 'without the script the teeth are pictures');
  await page.locator('#tooth').selectOption('14');
  await page.locator('#surfaces').fill('OI');
  await page.locator('#code').selectOption('X2120');
  const [refused] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST'),
    page.getByRole('button', { name: 'Chart it' }).click(),
  ]);
  assert.equal(refused.status(), 422);
  await page.waitForLoadState('load');
  assert.equal(
    (await page.locator('#surfaces-error').innerText()).trim(),
    'Surfaces: surface I on tooth 14: tooth 14 is a back tooth (use O or B there).',
  );
  assert.equal(await page.locator('#surfaces').getAttribute('aria-invalid'), 'true');
  assert.equal(await page.locator('#surfaces').inputValue(), 'OI', 'what was typed is kept');
  assert.equal(await page.locator('#form-error').getAttribute('role'), 'alert');
  assert.equal(await page.locator('#tooth').inputValue(), '14');
  assert.equal((await focused(page)).id, 'surfaces', 'the field to correct has the focus');

  await page.locator('#surfaces').fill('DO');
  await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST' && r.status() === 303),
    page.getByRole('button', { name: 'Chart it' }).click(),
  ]);
  await page.waitForLoadState('load');
  await expectPath(page, `/patients/${id}/chart`);
  assert.match(await toothLabel(page, '14'), /occlusal and distal: planned Demo: filling, two surfaces/);
  assert.equal(await page.locator('#timeline tbody tr').last().locator('td').nth(3).innerText(), 'Tooth 14 OD');
});

suite.test('a dental assistant marks a tooth missing by keyboard only, and the odontogram shows it', async (s) => {
  const { page } = await s.newPage();
  const csp = watchCsp(page);
  await s.signIn(page, s.account('dental_assistant'));
  const id = await somePatient(s, page, 'molar');
  await s.open(page, `/patients/${id}/chart`);
  assert.doesNotMatch(await toothLabel(page, '2'), /Missing/);

  // Tab to the teeth, the arrow key to tooth 2, Enter puts it into the forms.
  await page.locator('#as-of').focus();
  await tabUntil(page, (f) => f.tooth !== null);
  await page.keyboard.press('ArrowRight');
  assert.equal((await focused(page)).tooth, '2');
  await page.keyboard.press('Enter');
  assert.equal(await page.locator('#state_tooth').inputValue(), '2', 'the tooth state form holds it too');

  // Tab on to the state, an arrow key to Missing, Tab to the button, Enter.
  await tabUntil(page, (f) => f.id === 'tooth_state', 20);
  assert.equal(await page.locator('#tooth_state').inputValue(), 'present');
  await page.keyboard.press('ArrowDown');
  assert.equal(await page.locator('#tooth_state').inputValue(), 'missing');
  await page.keyboard.press('Tab');
  assert.equal((await focused(page)).id, 'tooth-state-submit');
  const [answer] = await Promise.all([
    page.waitForResponse(
      (r) => r.request().method() === 'POST' && new URL(r.url()).pathname === `/patients/${id}/chart/tooth-states`,
    ),
    page.keyboard.press('Enter'),
  ]);
  assert.equal(answer.status(), 303);
  await page.waitForLoadState('load');
  await expectPath(page, `/patients/${id}/chart`);
  s.expectDocumentNoStore(`/patients/${id}/chart`);
  assert.equal((await page.locator('p[role=status]').innerText()).trim(), 'The tooth state is recorded.');

  // Drawn missing: said so in its name, faded, its outline crossed out; and listed.
  assert.match(await toothLabel(page, '2'), /^tooth 2, Missing, /);
  const tooth = page.locator('#tooth-2');
  assert.match(await tooth.getAttribute('class'), /\bstate-missing\b/);
  assert.equal(await tooth.locator('use.st').getAttribute('href'), '#m-missing');
  const box = await tooth.locator('use.st').evaluate((u) => {
    const b = u.getBBox();
    return { width: b.width, height: b.height };
  });
  assert.ok(box.width > 30 && box.height > 30, `the cross covers the tooth: ${JSON.stringify(box)}`);
  const faded = await tooth.locator('.region').first().evaluate((r) => getComputedStyle(r).opacity);
  assert.equal(faded, '0.3');
  assert.match(await page.locator('#tooth-states').innerText(), /Missing: (\d+, )*2\b/);
  assert.match(await toothLabel(page, '3'), /^tooth 3, (?!Missing)/, 'its neighbour is not');
  assert.deepEqual(csp, [], 'no Content-Security-Policy complaint');
});
