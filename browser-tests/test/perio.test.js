// The perio sheet at the chair, against one `enamel demo` server: a hygienist starts an exam
// and enters a full mouth by keyboard only, the way the numbers are called out: 192 digits,
// each recording a depth and moving the cursor on in the calling-out order (upper facial
// 1->16, upper lingual 16->1, lower lingual 17->32, lower facial 32->17), B before a number
// for a bleeding site, Shift with a digit for 10 mm and more; Enter saves the draft, Tab past
// the last site reaches the buttons, and the exam is closed. The summary and the depth chart
// then say what was entered, and the closed exam offers no input. The harness also checks,
// after every test, that nothing was kept in web storage and that every page and fetch answer
// said `Cache-Control: no-store`. A second test marks suppuration (S), plaque (P) and calculus
// (C) by keyboard at the site the cursor is on, saves, and finds them ticked after a reload
// and shown as letters once the exam is closed.

import assert from 'node:assert/strict';

import { browserSuite, expectPath } from '../lib/harness.js';

const suite = browserSuite();

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

async function focusedId(page) {
  return page.evaluate(() => document.activeElement?.id ?? '');
}

/** Presses Tab until the focus is on `id` (at most `max` times). */
async function tabTo(page, id, max = 40) {
  for (let i = 0; i < max; i += 1) {
    await page.keyboard.press('Tab');
    if ((await focusedId(page)) === id) {
      return;
    }
  }
  throw new assert.AssertionError({ message: `Tab never reached #${id}: at #${await focusedId(page)}` });
}

/** The depth called out at the i-th site (0..191) of the test's exam. */
function depthAt(i) {
  if (i === 100) {
    return 11; // typed as Shift+1
  }
  if (i % 16 === 9) {
    return 6;
  }
  if (i % 16 === 5) {
    return 4;
  }
  return i % 2 === 0 ? 2 : 3;
}

const bleedsAt = (i) => i % 10 === 0;

suite.test('a hygienist enters a full-mouth perio exam by keyboard only, saves, closes and sees the summary', async (s) => {
  const { page } = await s.newPage();
  const csp = watchCsp(page);
  await s.signIn(page, s.account('hygienist'));
  const found = JSON.parse((await s.pageFetch(page, '/api/v1/patients?name=molar&limit=1')).body);
  assert.ok(found.results?.length, 'the demo has a patient named Molar');
  const id = found.results[0].id;

  // From the chart's "Perio exams" link to the list, and "Start the exam", by keyboard.
  await s.open(page, `/patients/${id}/chart`);
  await page.locator('#patient-link').focus();
  await tabTo(page, 'perio-link', 3);
  await page.keyboard.press('Enter');
  await expectPath(page, `/patients/${id}/perio`);
  s.expectDocumentNoStore(`/patients/${id}/perio`);
  await tabTo(page, 'start-exam');
  const [started] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === `/patients/${id}/perio`),
    page.keyboard.press('Enter'),
  ]);
  assert.equal(started.status(), 303);
  await page.waitForURL((u) => /\/perio\/[0-9a-f-]{36}$/.test(u.pathname));
  await page.waitForLoadState('load');
  const examPath = new URL(page.url()).pathname;
  assert.match(examPath, new RegExp(`^/patients/${id}/perio/[0-9a-f-]{36}$`));
  s.expectDocumentNoStore(examPath);
  assert.match(await page.locator('p[role=status]').innerText(), /The exam is started/);

  // The cursor starts at the first site called out: tooth 1, disto-buccal.
  assert.equal(await focusedId(page), 'd-1-db');

  // 192 numbers, as called out; B first for a bleeding site.
  let bleeding = 0;
  for (let i = 0; i < 192; i += 1) {
    if (bleedsAt(i)) {
      await page.keyboard.press('b');
      bleeding += 1;
    }
    const d = depthAt(i);
    await page.keyboard.press(d >= 10 ? `Shift+Digit${d - 10}` : `Digit${d}`);
  }
  assert.equal(await focusedId(page), 'd-17-db', 'the last site called out is tooth 17, disto-buccal');
  // The order ran along the rows: facial of tooth 16 last upstairs, then lingual of 16 back.
  assert.equal(await page.locator('#d-1-db').inputValue(), String(depthAt(0)));
  assert.equal(await page.locator('#d-16-db').inputValue(), String(depthAt(47)));
  assert.equal(await page.locator('#d-16-dl').inputValue(), String(depthAt(48)));
  assert.equal(await page.locator('#d-32-mb').inputValue(), String(depthAt(144 + 2)), 'tooth 32 facial: DB, B, MB');
  assert.equal(await page.locator('#b-1-db').isChecked(), true, 'B before the first number marked it');
  assert.equal(await page.locator('#b-1-b').isChecked(), false);
  const deep = await page.locator('#perio-sheet input.deep6').count();
  const four = Array.from({ length: 192 }, (_, i) => depthAt(i)).filter((d) => d >= 4).length;
  const six = Array.from({ length: 192 }, (_, i) => depthAt(i)).filter((d) => d >= 6).length;
  assert.equal(deep, six, 'deep pockets are marked as they are typed');

  // Enter saves the draft.
  const [saved] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === examPath),
    page.keyboard.press('Enter'),
  ]);
  assert.equal(saved.status(), 303);
  await page.waitForLoadState('load');
  await expectPath(page, examPath);
  assert.equal((await page.locator('p[role=status]').innerText()).trim(), 'Saved. The exam is still a draft.');
  assert.equal(await page.locator('#d-16-dl').inputValue(), String(depthAt(48)), 'the saved sheet comes back');

  // Tab follows the calling-out order; past the last site it reaches "Save draft", then
  // the close step.
  assert.equal(await focusedId(page), 'd-1-db');
  for (let i = 0; i < 191; i += 1) {
    await page.keyboard.press('Tab');
  }
  assert.equal(await focusedId(page), 'd-17-db');
  await page.keyboard.press('Tab');
  assert.equal(await focusedId(page), 'save-draft');
  await page.keyboard.press('Tab');
  assert.equal(await focusedId(page), 'close-summary');
  await page.keyboard.press('Enter');
  await page.keyboard.press('Tab');
  assert.equal(await focusedId(page), 'close-exam');
  const [closed] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith(`${examPath}/close`)),
    page.keyboard.press('Enter'),
  ]);
  assert.equal(closed.status(), 303);
  await page.waitForLoadState('load');
  await expectPath(page, examPath);
  s.expectDocumentNoStore(examPath);
  assert.match(await page.locator('p[role=status]').innerText(), /The exam is closed/);
  assert.match(await page.locator('#closed-notice').innerText(), /^Closed .* by you\./);

  // The summary, from what was entered.
  assert.equal(await page.locator('#sum-probed').innerText(), '192');
  assert.equal(await page.locator('#sum-bleeding').innerText(), `${Math.round((bleeding * 100) / 192)}%`);
  assert.equal(await page.locator('#sum-four').innerText(), String(four));
  assert.equal(await page.locator('#sum-six').innerText(), String(six));
  // The depth chart: one bar per site, deep ones with their numbers, told in words too.
  assert.equal(await page.locator('#depth-chart rect.bar').count(), 192);
  assert.equal(await page.locator('#depth-chart rect.bar.deep6').count(), six);
  assert.equal(await page.locator('#depth-chart text.bar-label').count(), four);
  assert.match(
    await page.locator('#depth-chart figcaption').first().innerText(),
    /^Upper facial probing depths: \d+ sites of 4 mm or more, \d+ sites? of 6 mm or more\.$/,
  );
  // Closed: the record, with nothing to type into and no button to save.
  assert.equal(await page.locator('#perio-sheet input').count(), 0);
  assert.equal(await page.locator('#save-draft').count(), 0);
  assert.equal(await page.locator('#sheet-upper td.k-d.deep6').count() > 0, true);
  assert.deepEqual(csp, [], 'no Content-Security-Policy complaint');

  // The list shows it closed, with its figures.
  await s.open(page, `/patients/${id}/perio`);
  const row = page.locator('#perio-table tbody tr').first();
  const cells = await row.locator('td').allInnerTexts();
  assert.match(cells[1], /^Closed /);
  assert.deepEqual(cells.slice(2), ['192', `${Math.round((bleeding * 100) / 192)}%`, String(four), String(six)]);
});

suite.test('S, P and C mark suppuration, plaque and calculus at the current site, and they are kept', async (s) => {
  const { page } = await s.newPage();
  const csp = watchCsp(page);
  await s.signIn(page, s.account('hygienist'));
  const found = JSON.parse((await s.pageFetch(page, '/api/v1/patients?name=molar&limit=3')).body);
  assert.ok(found.results?.length >= 2, 'the demo has two patients named Molar');
  // Not the first test's patient: this exam is its own.
  const id = found.results[1].id;
  await s.open(page, `/patients/${id}/perio`);
  const [started] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === `/patients/${id}/perio`),
    page.locator('#start-exam').click(),
  ]);
  assert.equal(started.status(), 303);
  await page.waitForURL((u) => /\/perio\/[0-9a-f-]{36}$/.test(u.pathname));
  await page.waitForLoadState('load');
  const examPath = new URL(page.url()).pathname;

  // The help says what the letters do, where B is.
  const keys = await page.locator('#perio-keys').innerText();
  assert.match(keys, /\bS\b.*suppuration/s);
  assert.match(keys, /\bP\b.*plaque/s);
  assert.match(keys, /\bC\b.*calculus/s);

  // Each box has a name that says what it is (not only a row colour or position).
  await page.getByRole('checkbox', { name: 'Tooth 1 disto-buccal suppuration', exact: true }).waitFor();
  await page.getByRole('checkbox', { name: 'Tooth 1 buccal plaque', exact: true }).waitFor();

  // At the first site: S and P, then its depth (the cursor moves on). At the second: C, P
  // twice (on, then off again), then its depth.
  assert.equal(await focusedId(page), 'd-1-db');
  await page.keyboard.press('s');
  await page.keyboard.press('Shift+P');
  assert.equal(await focusedId(page), 'd-1-db', 'a letter does not move the cursor');
  assert.equal(await page.locator('#d-1-db').inputValue(), '', 'nor type into the depth');
  await page.keyboard.press('Digit3');
  assert.equal(await focusedId(page), 'd-1-b');
  await page.keyboard.press('c');
  await page.keyboard.press('p');
  await page.keyboard.press('p');
  await page.keyboard.press('Digit2');
  // From a suppuration box itself, S takes its own mark off and on again.
  await page.locator('#s-1-db').focus();
  await page.keyboard.press('s');
  assert.equal(await page.locator('#s-1-db').isChecked(), false);
  await page.keyboard.press('s');
  const ticked = async () => ({
    s1db: await page.locator('#s-1-db').isChecked(),
    p1db: await page.locator('#p-1-db').isChecked(),
    c1db: await page.locator('#c-1-db').isChecked(),
    b1db: await page.locator('#b-1-db').isChecked(),
    s1b: await page.locator('#s-1-b').isChecked(),
    p1b: await page.locator('#p-1-b').isChecked(),
    c1b: await page.locator('#c-1-b').isChecked(),
  });
  const expected = { s1db: true, p1db: true, c1db: false, b1db: false, s1b: false, p1b: false, c1b: true };
  assert.deepEqual(await ticked(), expected);

  await page.locator('#d-1-db').focus();
  const [saved] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === examPath),
    page.keyboard.press('Enter'),
  ]);
  assert.equal(saved.status(), 303);
  await page.waitForLoadState('load');
  await expectPath(page, examPath);
  assert.equal((await page.locator('p[role=status]').innerText()).trim(), 'Saved. The exam is still a draft.');

  // Read again from the server: still ticked.
  await s.open(page, examPath);
  assert.deepEqual(await ticked(), expected);
  assert.equal(await page.locator('#d-1-db').inputValue(), '3');

  // Closed, the marks are letters in their rows.
  await s.open(page, examPath);
  await page.locator('#close-summary').click();
  const [closed] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith(`${examPath}/close`)),
    page.locator('#close-exam').click(),
  ]);
  assert.equal(closed.status(), 303);
  await page.waitForLoadState('load');
  assert.equal(await page.locator('#perio-sheet input').count(), 0);
  assert.equal(await page.locator('#sheet-upper tr.row-s td', { hasText: /^S$/ }).count(), 1);
  assert.equal(await page.locator('#sheet-upper tr.row-p td', { hasText: /^P$/ }).count(), 1);
  assert.equal(await page.locator('#sheet-upper tr.row-c td', { hasText: /^C$/ }).count(), 1);
  assert.deepEqual(csp, [], 'no Content-Security-Policy complaint');
});
