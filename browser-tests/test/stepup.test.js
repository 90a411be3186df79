// Step-up: a change to users, roles or the role matrix needs a recent second factor. On a
// server of its own whose step-up window is 3 seconds, an administrator who signed in a
// moment ago is asked for a fresh code before adding a person, and then the change goes through.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';

import { browserSuite, expectPath } from '../lib/harness.js';

const STEP_UP_SECONDS = 3;

const suite = browserSuite({ env: { ENAMEL_SIGN_IN__STEP_UP_SECS: String(STEP_UP_SECONDS) } });

suite.test('adding a person after the step-up window asks for a fresh code first', async (s) => {
  const admin = s.account('practice_administrator');
  const { page } = await s.newPage();
  await s.signIn(page, admin);
  await s.open(page, '/admin/users');
  await page.locator('#users').waitFor();
  await sleep((STEP_UP_SECONDS + 1) * 1000);

  const username = `su-${randomBytes(4).toString('hex')}`;
  const addPerson = async () => {
    await page.locator('#display_name').fill(`Step Up ${username.slice(3)}`);
    await page.locator('#new-username').fill(username);
    await page.locator('#new-role').selectOption('hygienist');
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    await page.waitForLoadState('load');
  };

  await addPerson();
  await expectPath(page, '/step-up');
  assert.equal(new URL(page.url()).searchParams.get('next'), '/admin/users');
  assert.equal(await page.locator('#users tr', { hasText: username }).count(), 0, 'nothing added yet');

  // A wrong code is refused and nothing changes.
  await page.locator('#code').fill('000000');
  await page.getByRole('button', { name: 'Confirm' }).click();
  await page.waitForLoadState('load');
  await expectPath(page, '/step-up');

  await page.locator('#code').fill(await s.code(admin));
  await page.getByRole('button', { name: 'Confirm' }).click();
  await expectPath(page, '/admin/users');

  await addPerson();
  await expectPath(page, '/admin/users');
  const link = (await page.locator('#one-time-link code').innerText()).trim();
  assert.match(link, /^\/reset#enr_[A-Za-z0-9_-]+$/);
  await assert.doesNotReject(page.locator('#users tr', { hasText: username }).waitFor());
});
