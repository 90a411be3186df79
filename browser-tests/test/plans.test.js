// Treatment plans in a browser, against one `enamel demo` server: a dentist builds a plan in
// two phases from the chart's planned procedures, presents it, hands over the presentation
// (large type, the frozen lines and totals, no staff menu), and the patient accepts it by
// drawing a signature on the pad (strokes posted as JSON, scaled to 0-1000), which then comes
// back drawn. The harness also checks, after every test, that nothing was kept in web
// storage and that every page and fetch answer said `Cache-Control: no-store`.

import assert from 'node:assert/strict';

import { browserSuite, expectPath } from '../lib/harness.js';

const suite = browserSuite();

function watchCsp(page) {
  const complaints = [];
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) {
      complaints.push(m.text());
    }
  });
  return complaints;
}

async function postAndLoad(page, pathEnd, action) {
  const [answer] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname.endsWith(pathEnd)),
    action(),
  ]);
  await page.waitForLoadState('load');
  return answer;
}

suite.test('a dentist builds a plan in phases, presents it, and the patient accepts it with a drawn signature', async (s) => {
  // Two planned procedures of a demo patient, charted through the API (set-up).
  const api = await s.api(s.account('hygienist'));
  const found = await (await api.get('/api/v1/patients?name=molar&limit=3')).json();
  assert.ok(found.results?.length >= 2, 'the demo has Molars');
  const id = found.results[1].id;
  const chart = async (body) => {
    const r = await api.post(`/api/v1/patients/${id}/procedures`, { data: body });
    assert.equal(r.status(), 201, await r.text());
    return (await r.json()).id;
  };
  const filling = await chart({ code: 'X2120', tooth: '4', surfaces: 'MO' });
  const crown = await chart({ code: 'X2710', tooth: '30' });

  const { page } = await s.newPage();
  const csp = watchCsp(page);
  await s.signIn(page, s.account('dentist'));
  await s.open(page, `/patients/${id}/chart`);
  await page.locator('#plans-link').click();
  await expectPath(page, `/patients/${id}/plans`);
  s.expectDocumentNoStore(`/patients/${id}/plans`);
  await page.locator('#new-plan').click();
  await expectPath(page, `/patients/${id}/plans/new`);
  s.expectDocumentNoStore(`/patients/${id}/plans/new`);
  assert.match(await page.locator('#builder-heading').innerText(), /^Draft a treatment plan: /);

  // The builder: only our two procedures, the filling in phase 1, the crown in phase 2 with
  // an insurance estimate.
  await page.locator('#title').fill('Synthetic plan: two phases');
  await page.locator('#phase1').fill('Filling first');
  await page.locator('#phase2').fill('Then the crown');
  const selects = await page.locator('#procedures-table select').evaluateAll((els) => els.map((e) => e.id));
  for (const select of selects) {
    const value = select === `phase-${filling}` ? '1' : select === `phase-${crown}` ? '2' : '';
    await page.locator(`#${select}`).selectOption(value);
  }
  await page.locator(`#ins-${crown}`).fill('400.00');
  const drafted = await postAndLoad(page, `/patients/${id}/plans`, () => page.locator('#plan-save').click());
  assert.equal(drafted.status(), 303);
  await page.waitForURL((u) => /\/plans\/[0-9a-f-]{36}$/.test(u.pathname));
  const planPath = new URL(page.url()).pathname;
  s.expectDocumentNoStore(planPath);
  assert.equal(await page.locator('#h-phase-1').innerText(), 'Phase 1: Filling first');
  assert.equal(await page.locator('#h-phase-2').innerText(), 'Phase 2: Then the crown');
  assert.equal(await page.locator('#total-fee').innerText(), '$1,395.00');
  assert.equal(await page.locator('#total-insurance').innerText(), '$400.00');
  assert.equal(await page.locator('#total-patient').innerText(), '$995.00');
  assert.equal(await page.locator('#plan-status').innerText(), 'Draft');

  // Presented: frozen, then shown to the patient.
  const presented = await postAndLoad(page, '/present', () => page.locator('#present-plan').click());
  assert.equal(presented.status(), 303);
  assert.equal(await page.locator('#plan-status').innerText(), 'Presented');
  await page.locator('#show-patient').click();
  await expectPath(page, `${planPath}/presentation`);
  s.expectDocumentNoStore(`${planPath}/presentation`);
  assert.equal(await page.locator('nav').count(), 0, 'no staff menu on the patient\'s screen');
  assert.equal(await page.getByRole('button', { name: 'Sign out' }).count(), 0);
  assert.equal(await page.locator('#present-title').innerText(), 'Synthetic plan: two phases');
  const size = await page.locator('.plan-lines td').first().evaluate((e) => parseFloat(getComputedStyle(e).fontSize));
  assert.ok(size >= 20, `large type for the patient (${size}px)`);
  assert.equal(await page.locator('.plan-lines tbody tr').count(), 2);
  assert.equal(await page.locator('#total-patient').innerText(), '$995.00');

  // The patient writes their name and signs on the pad with the pointer.
  await page.locator('#signer_name').fill('Synthetic Patient');
  await page.locator('#by-patient').check();
  const pad = page.locator('#signature-canvas');
  assert.equal(await pad.isVisible(), true, 'the pad is shown with the script');
  await pad.scrollIntoViewIfNeeded();
  const box = await pad.boundingBox();
  const at = (fx, fy) => [box.x + box.width * fx, box.y + box.height * fy];
  await page.mouse.move(...at(0.1, 0.6));
  await page.mouse.down();
  for (const [fx, fy] of [[0.2, 0.3], [0.3, 0.7], [0.4, 0.35], [0.5, 0.65]]) {
    await page.mouse.move(...at(fx, fy), { steps: 5 });
  }
  await page.mouse.up();
  await page.mouse.move(...at(0.6, 0.5));
  await page.mouse.down();
  await page.mouse.move(...at(0.85, 0.5), { steps: 8 });
  await page.mouse.up();
  const strokes = JSON.parse(await page.locator('#strokes').inputValue());
  assert.equal(strokes.length, 2, 'two strokes');
  for (const [x, y] of strokes.flat()) {
    assert.ok(Number.isInteger(x) && x >= 0 && x <= 1000 && Number.isInteger(y) && y >= 0 && y <= 400, `${x},${y}`);
  }
  assert.ok(Math.abs(strokes[1][0][0] - 600) <= 5, `scaled to 0-1000 (${strokes[1][0][0]})`);

  const accepted = await postAndLoad(page, '/accept', () => page.locator('#accept-plan').click());
  assert.equal(accepted.status(), 303);
  await expectPath(page, `${planPath}/presentation`);
  assert.match(await page.locator('p[role=status]').innerText(), /Thank you\. The plan is accepted/);
  assert.equal(await page.locator('#present-status').innerText(), 'Accepted');
  assert.match(await page.locator('#acceptance-who').innerText(), /^Signed by Synthetic Patient \(patient\), in the office, on /);
  assert.equal(await page.locator('#drawn-signature polyline').count(), 2, 'the signature is drawn back');
  assert.equal(await page.locator('#acceptance-check').getAttribute('class'), 'signature sig-valid');
  assert.equal(await page.locator('#accept-form').count(), 0);

  // Back on the staff side.
  await page.locator('#staff-view').click();
  await expectPath(page, planPath);
  assert.equal(await page.locator('#plan-status').innerText(), 'Accepted');
  assert.match(await page.locator('#acceptance-check').innerText(), /The acceptance holds/);
  assert.deepEqual(csp, [], 'no Content-Security-Policy complaint');
});
