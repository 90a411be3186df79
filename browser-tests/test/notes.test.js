// Clinical notes in a browser, against one `enamel demo` server: a dentist adds a template
// for the practice, chooses it (the script fills the form in place), signs the note as it is
// saved, and adds an addendum; each block says who signed and when, and that the signature
// holds. The harness also checks, after every test, that nothing was kept in web storage and
// that every page and fetch answer said `Cache-Control: no-store`.

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

suite.test('a dentist writes a note from a template, signs it and adds an addendum', async (s) => {
  const { page } = await s.newPage();
  const csp = watchCsp(page);
  await s.signIn(page, s.account('dentist'));
  const found = JSON.parse((await s.pageFetch(page, '/api/v1/patients?name=molar&limit=1')).body);
  assert.ok(found.results?.length, 'the demo has a patient named Molar');
  const id = found.results[0].id;
  const notesPath = `/patients/${id}/notes`;

  // From the chart's link.
  await s.open(page, `/patients/${id}/chart`);
  await page.locator('#notes-link').focus();
  await page.keyboard.press('Enter');
  await expectPath(page, notesPath);
  s.expectDocumentNoStore(notesPath);

  // A template for the practice.
  await page.locator('#template-new summary').click();
  await page.locator('#template-name').fill('Demo recall (synthetic)');
  await page.locator('#template-kind').selectOption('progress');
  await page.locator('#template-body').fill('Demo template (synthetic): recall visit; home care reviewed.');
  const added = await postAndLoad(page, '/notes/templates', () => page.locator('#template-add').click());
  assert.equal(added.status(), 303);
  assert.match(await page.locator('p[role=status]').first().innerText(), /The template is added/);

  // Chosen in the select, it fills the form in place (the script hides the reload button).
  await page.locator('#new-body').fill('');
  assert.equal(await page.locator('#use-template').isVisible(), false);
  await page.locator('#template').selectOption({ label: 'Blank' });
  assert.equal(await page.locator('#new-body').inputValue(), '');
  await page.locator('#template').selectOption({ label: 'Demo recall (synthetic)' });
  assert.equal(
    await page.locator('#new-body').inputValue(),
    'Demo template (synthetic): recall visit; home care reviewed.',
  );
  await page.locator('#new-body').press('End');
  await page.keyboard.type(' Synthetic: no concerns today.');

  // Save and sign: the note is signed, and the block says by whom, when, and that it holds.
  const signed = await postAndLoad(page, notesPath, () => page.locator('#new-sign').click());
  assert.equal(signed.status(), 303);
  await expectPath(page, notesPath);
  s.expectDocumentNoStore(notesPath);
  assert.match(await page.locator('main p[role=status]').first().innerText(), /The note is signed/);
  const card = page.locator('article.note-card').first();
  assert.match(await card.locator('h3').innerText(), /^Progress note\s+Signed$/);
  assert.match(
    await card.locator('.note-body').first().innerText(),
    /Demo template \(synthetic\): recall visit; home care reviewed\. Synthetic: no concerns today\./,
  );
  const block = card.locator('p.signature').first();
  assert.equal(await block.getAttribute('class'), 'signature sig-valid');
  assert.match(
    await block.innerText(),
    /Signed by you on \d{4}-\d{2}-\d{2} \d{2}:\d{2} \S+\. The signature holds: the text is as it was signed\./,
  );
  assert.equal(await card.getByRole('button', { name: /Save the draft/ }).count(), 0, 'a signed note cannot be edited');

  // An addendum, by keyboard: open the step, type, send.
  await card.locator('summary', { hasText: 'Add an addendum' }).focus();
  await page.keyboard.press('Enter');
  await page.keyboard.press('Tab');
  await page.keyboard.type('Synthetic addendum: the patient called, all well.');
  await page.keyboard.press('Tab');
  const annotated = await postAndLoad(page, '/addenda', () => page.keyboard.press('Enter'));
  assert.equal(annotated.status(), 303);
  assert.match(await page.locator('main p[role=status]').first().innerText(), /The addendum is signed and saved/);
  const addendum = page.locator('article.note-card').first().locator('.note-addendum');
  assert.equal(await addendum.count(), 1);
  assert.match(await addendum.locator('.addendum-head').innerText(), /^Addendum by you on \d{4}-\d{2}-\d{2} /);
  assert.equal(await addendum.locator('.note-body').innerText(), 'Synthetic addendum: the patient called, all well.');
  assert.match(await addendum.locator('p.signature').innerText(), /The signature holds/);
  s.expectDocumentNoStore(notesPath);
  assert.deepEqual(csp, [], 'no Content-Security-Policy complaint');
});
