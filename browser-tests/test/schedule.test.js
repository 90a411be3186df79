// The schedule's staff pages, against one `enamel demo` server and its made-up schedule (four
// operatories, four providers, the 21 days around today): today's schedule on the front desk's
// home page, one column per operatory, with "now" marked when the clock falls in the hours
// shown; booking from a patient's page by keyboard only, landing on the day with the new block;
// a second booking of the same chair and time refused in words, the form kept and nothing added;
// an appointment moved by keyboard through its page's move form, and a move onto taken time
// refused on that page; a patient checked in, seated and completed, and the block saying so; the
// day at tablet width (768 × 1024) with the table inside its own focusable scrolling region; and
// no web storage and no cacheable page on the schedule's pages.
//
// The demo fills its schedule in the background after the charts; the tests start when it says
// "The made-up schedule is ready". The server runs in a time zone where it is now around midday
// (TZ; the demo's practice takes the host's zone), so today's hours include "now". Each test
// books on a day of its own, 30 days or more ahead (the demo books at most ten working days
// ahead) or at 18:00 today (the demo's chairs are free by mid-afternoon), so no test sees
// another's appointments. Each test signs in a different role; the last reuses the front desk
// (the harness waits for a fresh authenticator code if it must). The harness also checks, after
// every test, that nothing was kept in web storage and that every page and fetch answer said
// `Cache-Control: no-store`.

import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';

import { browserSuite, expectPath } from '../lib/harness.js';

/** Zones a whole range of offsets apart; one of them is near midday at any moment. */
const ZONES = [
  'Pacific/Kiritimati', 'Pacific/Auckland', 'Pacific/Fiji', 'Pacific/Noumea', 'Australia/Sydney',
  'Asia/Tokyo', 'Asia/Shanghai',
  'Asia/Bangkok', 'Asia/Dhaka', 'Asia/Karachi', 'Asia/Dubai', 'Europe/Moscow', 'Europe/Athens',
  'Europe/Paris', 'Europe/London', 'Atlantic/Azores', 'Atlantic/South_Georgia',
  'America/Sao_Paulo', 'America/Halifax', 'America/New_York', 'America/Chicago',
  'America/Denver', 'America/Los_Angeles', 'America/Anchorage', 'Pacific/Honolulu',
  'Pacific/Pago_Pago',
];

/** Minutes since midnight on the clock of `zone` at `at`. */
function clockIn(zone, at = new Date()) {
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone: zone,
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(at);
  const part = (type) => Number(parts.find((p) => p.type === type).value);
  return part('hour') * 60 + part('minute');
}

/** The zone whose clock is nearest to 12:30 now. */
function zoneNearMidday() {
  const distance = (zone) => Math.abs(clockIn(zone) - 12 * 60 - 30);
  return ZONES.reduce((best, zone) => (distance(zone) < distance(best) ? zone : best));
}

const suite = browserSuite({ env: { TZ: zoneNearMidday() } });

/** The practice's zone, as the demo printed it; set once the schedule is ready. */
let practiceZone = null;
let ready = null;

/**
 * Waits until the demo says its made-up schedule is ready (it is filled in the background,
 * after the charts), once per file; every test starts with it.
 */
function scheduleReady(s) {
  ready ??= (async () => {
    const plain = () => s.server.log().replace(/\u001b\[[0-9;]*m/g, '');
    const zone = /time zone (\S+)/.exec(plain());
    assert.ok(zone, `the demo names its time zone:\n${plain().slice(0, 2000)}`);
    practiceZone = zone[1];
    const deadline = Date.now() + 240_000;
    while (!/The made-up schedule is ready/.test(plain())) {
      assert.doesNotMatch(plain(), /could not be finished/, 'the demo fills its records');
      assert.ok(Date.now() < deadline, `the demo's schedule was not ready in time:\n${plain().slice(-2000)}`);
      await sleep(500);
    }
  })();
  return ready;
}

/** A test of this file: it starts once the demo's schedule is ready. */
function scheduleTest(name, fn) {
  suite.test(name, async (s, t) => {
    await scheduleReady(s);
    await fn(s, t);
  });
}

/** Date and time inputs take their parts in this locale's order (month, day, year; 12-hour). */
const LOCALE = { locale: 'en-US' };
const TABLET = { ...LOCALE, viewport: { width: 768, height: 1024 } };

const OPERATORIES = ['Operatory 1', 'Operatory 2', 'Hygiene 1', 'Hygiene 2'];
const PROVIDERS = {
  DDS1: 'Dana Example (DDS1)',
  DDS2: 'Robin Sample (DDS2)',
  HYG1: 'Kim Placeholder (HYG1)',
  HYG2: 'Lee Mock (HYG2)',
};
const APPOINTMENT = /^\/schedule\/appointments\/[0-9a-f-]{36}$/;
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

function watchCsp(page) {
  const complaints = [];
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) {
      complaints.push(m.text());
    }
  });
  return complaints;
}

/** `YYYY-MM-DD` plus `days`. */
function addDays(iso, days) {
  const d = new Date(`${iso}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

/** `Monday 15 March 2027`, as the pages write a day. */
function longDate(iso) {
  const d = new Date(`${iso}T00:00:00Z`);
  return `${WEEKDAYS[d.getUTCDay()]} ${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()}`;
}

function minutesOf(hhmm) {
  const [h, m] = hhmm.split(':').map(Number);
  return h * 60 + m;
}

function hhmm(minutes) {
  return `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
}

/** The practice's today, as the schedule page opens on it. */
async function practiceToday(s, page) {
  await s.open(page, '/schedule');
  const today = await page.locator('#day').inputValue();
  assert.match(today, /^\d{4}-\d{2}-\d{2}$/);
  return today;
}

/** Demo patients found through the API, as the pages' own script would. */
async function patients(s, page, name, count) {
  const found = JSON.parse((await s.pageFetch(page, `/api/v1/patients?name=${name}&limit=${count}`)).body);
  assert.ok(found.results?.length >= count, `the demo has ${count} patients named ${name}`);
  return found.results.slice(0, count).map((p) => ({ id: p.id, block: `${p.family_name}, ${p.given_name}` }));
}

async function focusMatches(page, selector) {
  return page.evaluate((sel) => document.activeElement?.matches(sel) ?? false, selector);
}

/** Presses Tab until the focus is on `selector` (at most `max` times). */
async function tabTo(page, selector, max = 40) {
  for (let i = 0; i < max; i += 1) {
    if (await focusMatches(page, selector)) {
      return;
    }
    await page.keyboard.press('Tab');
  }
  if (!(await focusMatches(page, selector))) {
    const at = await page.evaluate(() => document.activeElement?.outerHTML.slice(0, 120) ?? '');
    assert.fail(`Tab never reached ${selector}; the focus is on ${at}`);
  }
}

/** Types a day into the focused date input, part by part, and checks what it holds. */
async function typeDate(page, input, iso) {
  const [y, m, d] = iso.split('-');
  await page.keyboard.type(`${m}${d}${y}`);
  assert.equal(await input.inputValue(), iso, 'the typed day');
}

/** Types a time into the focused time input (hour, minutes, AM/PM) and checks it. */
async function typeTime(page, input, time) {
  const [h, m] = time.split(':').map(Number);
  const hour = String(h % 12 === 0 ? 12 : h % 12).padStart(2, '0');
  await page.keyboard.type(`${hour}${String(m).padStart(2, '0')}${h < 12 ? 'A' : 'P'}`);
  assert.equal(await input.inputValue(), time, 'the typed time');
}

/** Types the beginning of an option's text into the focused select; checks the choice. */
async function typeChoice(page, select, label) {
  await page.keyboard.type(label);
  assert.equal(await chosen(select), label, 'the option chosen by typing');
}

async function chosen(select) {
  return select.evaluate((s) => s.selectedOptions[0]?.textContent.trim() ?? '');
}

/**
 * Sends a form with `action` and waits for the page it leads to (after a redirect, or the
 * refusal itself); returns the answer to the POST.
 */
async function submitted(page, pathname, action) {
  const [answer] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === pathname),
    page.waitForEvent('framenavigated', (f) => f === page.mainFrame()),
    action(),
  ]);
  await page.waitForLoadState('load');
  return answer;
}

/** Books through the booking form (set-up; the keyboard is tested elsewhere). */
async function bookThroughPage(s, page, patient, { date, time, operatory, provider, minutes }) {
  await s.open(page, `/schedule/book?patient=${patient.id}`);
  await page.locator('#book-date').fill(date);
  await page.locator('#book-time').fill(time);
  await page.locator('#book-op').selectOption({ label: operatory });
  await page.locator('#book-prov').selectOption({ label: provider });
  await page.locator('#book-minutes').fill(String(minutes));
  return submitted(page, '/schedule/book', () => page.getByRole('button', { name: 'Book', exact: true }).click());
}

/** The page is the day `date` of the schedule. */
async function expectDay(s, page, date) {
  await expectPath(page, '/schedule');
  assert.equal(new URL(page.url()).searchParams.get('date'), date, 'the day shown');
  s.expectDocumentNoStore('/schedule');
  assert.equal(await page.locator('main h2').first().innerText(), longDate(date));
}

/** The caption's count of appointments on the day's table. */
async function bookedCount(page) {
  const caption = await page.locator('table.day-grid caption').innerText();
  const m = /: (\d+) appointments?$/.exec(caption.trim());
  assert.ok(m, `the caption counts the appointments: ${caption}`);
  return Number(m[1]);
}

/** The blocks on the day's table of a patient (optionally at one time). */
function blocks(page, patient, time) {
  let found = page.locator('table.day-grid a.appt').filter({ hasText: patient.block });
  if (time) {
    found = found.filter({ has: page.locator('.appt-time', { hasText: time }) });
  }
  return found;
}

/** Where a block sits: its column's heading, the time of its first row, its row span. */
async function placeOf(page, block) {
  const heads = await page.locator('table.day-grid thead th').evaluateAll((ths) =>
    ths.map((th) => {
      const r = th.getBoundingClientRect();
      return { name: th.textContent.trim(), left: r.left, right: r.right };
    }),
  );
  const at = await block.evaluate((a) => {
    const r = a.getBoundingClientRect();
    const cell = a.closest('td');
    return {
      x: (r.left + r.right) / 2,
      row: cell.parentElement.querySelector('th').textContent.replace('now', '').trim(),
      rowspan: cell.rowSpan,
    };
  });
  const column = heads.find((h) => at.x >= h.left && at.x < h.right);
  return { column: column?.name ?? null, row: at.row, rowspan: at.rowspan };
}

/** The `<dd>` after the `<dt>` named `term` on an appointment's page. */
async function fact(page, term) {
  return page.locator('dl.facts').evaluate((dl, t) => {
    const dt = [...dl.querySelectorAll('dt')].find((e) => e.textContent.trim() === t);
    return dt ? dt.nextElementSibling.textContent.trim() : null;
  }, term);
}

/** From the day's table to a block's page, by keyboard: focus the block, Enter. */
async function openBlock(s, page, block) {
  const href = await block.getAttribute('href');
  assert.match(href, APPOINTMENT, 'a block is a link to its appointment');
  await block.focus();
  await page.keyboard.press('Enter');
  await expectPath(page, href);
  s.expectDocumentNoStore(href);
  assert.equal(await page.locator('h1').innerText(), 'Appointment');
  return href;
}

scheduleTest("the front desk's home page shows today's schedule, a column per operatory, and now", async (s) => {
  const { page } = await s.newPage(LOCALE);
  const signingIn = new Date();
  await s.signIn(page, s.account('front_desk'));
  const signedIn = new Date();

  assert.equal(await page.getByRole('heading', { level: 2, name: "Today's schedule" }).count(), 1);
  const region = page.locator('main .day-scroll');
  assert.equal(await region.getAttribute('role'), 'region');
  assert.equal(await region.getAttribute('aria-label'), "Today's schedule");
  const table = region.locator('table.day-grid');
  assert.equal(await table.count(), 1, 'the schedule is a table');
  assert.deepEqual(
    (await table.locator('thead th').allInnerTexts()).map((t) => t.trim()),
    ['Time', ...OPERATORIES],
    'one column per operatory, in their order',
  );
  assert.deepEqual(
    await table.locator('thead th').evaluateAll((ths) => ths.map((th) => th.getAttribute('scope'))),
    ['col', 'col', 'col', 'col', 'col'],
  );

  // The rows: 10-minute steps of the clock, covering at least 07:00 to 19:00.
  const labels = (await table.locator('tbody th.time').allInnerTexts()).map((t) => t.replace('now', '').trim());
  assert.ok(labels.length >= 72, `the working day is shown (${labels.length} rows)`);
  const rows = labels.map(minutesOf);
  assert.ok(rows[0] <= 7 * 60 && rows.at(-1) >= 18 * 60 + 50, `${labels[0]} to ${labels.at(-1)}`);
  assert.deepEqual(labels.filter((l, i) => rows[i] % 10 !== 0), [], 'rows on 10-minute marks');

  // The demo books today whatever the day: blocks in the table, as many as the caption says.
  const shown = await table.locator('a.appt').count();
  assert.ok(shown > 0, "today's made-up appointments are on the table");
  assert.equal(await bookedCount(page), shown, 'the caption counts the blocks');
  assert.match(await table.locator('a.appt .appt-time').first().innerText(), /^\d{2}:\d{2}–\d{2}:\d{2}$/);

  // "now": marked on its row when the clock falls within the hours shown, not otherwise.
  const from = rows[0];
  const to = rows.at(-1) + 10;
  const clocks = [clockIn(practiceZone, signingIn), clockIn(practiceZone, signedIn)];
  const inside = clocks.map((c) => c >= from && c < to);
  const marked = table.locator('tbody tr.now');
  if (inside.every(Boolean)) {
    assert.equal(await marked.count(), 1, 'one row is now');
    const label = (await marked.locator('th').innerText()).replace('now', '').trim();
    const expected = clocks.map((c) => hhmm(c - (c % 10)));
    assert.ok(expected.includes(label), `now is ${expected.join(' or ')}, marked at ${label}`);
    assert.equal((await marked.locator('.now-mark').innerText()).trim(), 'now');
  } else if (!inside.some(Boolean)) {
    assert.equal(await marked.count(), 0, 'now is outside the hours shown');
  } else {
    assert.ok((await marked.count()) <= 1);
  }
  // The server's clock runs where the test put it: near midday, so now is shown.
  assert.ok(inside.every(Boolean), `the practice's clock (${practiceZone}) is within today's hours`);

  await page.getByRole('link', { name: 'Open the schedule' }).click();
  await expectPath(page, '/schedule');
  s.expectDocumentNoStore('/schedule');
  assert.deepEqual(
    (await page.locator('table.day-grid thead th').allInnerTexts()).map((t) => t.trim()),
    ['Time', ...OPERATORIES],
  );
});

scheduleTest('an appointment is booked from a patient\'s page by keyboard only and shows on its day', async (s) => {
  const { page } = await s.newPage(LOCALE);
  const csp = watchCsp(page);
  await s.signIn(page, s.account('office_manager'));
  const day = addDays(await practiceToday(s, page), 30);

  // Find the patient as the keyboard tests do: Tab to the name, type, Enter, Tab, Enter.
  await s.open(page, '/patients');
  await tabTo(page, '#find-name');
  await page.keyboard.type('molar');
  const [searched] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/patients'),
    page.waitForEvent('framenavigated', (f) => f === page.mainFrame()),
    page.keyboard.press('Enter'),
  ]);
  assert.equal(searched.status(), 200);
  await page.waitForLoadState('load');
  await tabTo(page, '#patient-results a');
  const href = await page.evaluate(() => document.activeElement.getAttribute('href'));
  await page.keyboard.press('Enter');
  await expectPath(page, href);
  const id = href.split('/').at(-1);
  const record = JSON.parse((await s.pageFetch(page, `/api/v1/patients/${id}`)).body);
  const patient = { id, block: `${record.family_name}, ${record.given_name}` };

  // "Book an appointment", by keyboard.
  await tabTo(page, '#book-appointment');
  await page.keyboard.press('Enter');
  await expectPath(page, '/schedule/book');
  s.expectDocumentNoStore('/schedule/book');
  assert.equal(new URL(page.url()).searchParams.get('patient'), id);
  const heading = await page.locator('h1').innerText();
  assert.ok(heading.startsWith('Book an appointment for ') && heading.includes(record.family_name), heading);
  const labelled = await page
    .locator('form.book-form input:not([type=hidden]), form.book-form select, form.book-form textarea')
    .evaluateAll((els) => els.filter((e) => (e.labels?.length ?? 0) !== 1).map((e) => e.id));
  assert.deepEqual(labelled, [], 'every field has its label');

  // The form, field by field: the day, the time, the chair, the provider, the minutes.
  await tabTo(page, '#book-date');
  await typeDate(page, page.locator('#book-date'), day);
  await tabTo(page, '#book-time');
  await typeTime(page, page.locator('#book-time'), '10:30');
  await tabTo(page, '#book-op');
  await typeChoice(page, page.locator('#book-op'), 'Operatory 2');
  await tabTo(page, '#book-prov');
  await typeChoice(page, page.locator('#book-prov'), PROVIDERS.DDS2);
  await tabTo(page, '#book-minutes');
  await page.keyboard.type('30');
  assert.equal(await page.locator('#book-minutes').inputValue(), '30');
  await tabTo(page, 'form.book-form button[type=submit]');
  const booked = await submitted(page, '/schedule/book', () => page.keyboard.press('Enter'));
  assert.equal(booked.status(), 303);

  // The schedule of that day, with the block.
  await expectDay(s, page, day);
  assert.equal(await bookedCount(page), 1, 'the only appointment that day');
  const block = blocks(page, patient);
  assert.equal(await block.count(), 1, `a block names ${patient.block}`);
  assert.equal(await block.locator('.appt-time').innerText(), '10:30–11:00');
  assert.equal(await block.locator('.appt-prov').innerText(), 'DDS2');
  assert.equal(await block.locator('.appt-status').innerText(), 'Scheduled');
  assert.deepEqual(await placeOf(page, block), { column: 'Operatory 2', row: '10:30', rowspan: 3 });
  assert.deepEqual(csp, [], 'no Content-Security-Policy complaint');
});

scheduleTest('a second booking of the same chair and time is refused in words, the form kept', async (s) => {
  const { page } = await s.newPage(LOCALE);
  const csp = watchCsp(page);
  await s.signIn(page, s.account('dentist'));
  const day = addDays(await practiceToday(s, page), 31);
  const [first, second] = await patients(s, page, 'incisor', 2);

  const slot = { date: day, time: '10:30', operatory: 'Operatory 2', provider: PROVIDERS.DDS2, minutes: 30 };
  assert.equal((await bookThroughPage(s, page, first, slot)).status(), 303);
  await expectDay(s, page, day);
  assert.equal(await blocks(page, first, '10:30–11:00').count(), 1);

  // The same chair and time for another patient (with another provider: only the chair clashes).
  const refused = await bookThroughPage(s, page, second, { ...slot, provider: PROVIDERS.DDS1 });
  assert.equal(refused.status(), 409);
  await expectPath(page, '/schedule/book');
  const last = s.lastDocument('/schedule/book');
  assert.equal(last.status, 409);
  assert.equal(last.cacheControl, 'no-store');
  const problems = page.locator('#problems');
  assert.equal(await problems.getAttribute('role'), 'alert');
  assert.match(await problems.innerText(), /^The appointment was not booked:/);
  assert.deepEqual(
    (await problems.locator('li').allInnerTexts()).map((t) => t.trim()),
    [`Operatory 2 is already booked from 10:30 to 11:00 on ${day}. Choose another time or operatory.`],
  );
  // The form is still there, as typed, for the same patient.
  assert.equal(await page.locator('form.book-form input[name=patient_id]').inputValue(), second.id);
  assert.equal(await page.locator('#book-date').inputValue(), day);
  assert.equal(await page.locator('#book-time').inputValue(), '10:30');
  assert.equal(await chosen(page.locator('#book-op')), 'Operatory 2');
  assert.equal(await chosen(page.locator('#book-prov')), PROVIDERS.DDS1);
  assert.equal(await page.locator('#book-minutes').inputValue(), '30');
  assert.equal(await page.getByRole('button', { name: 'Book', exact: true }).count(), 1);

  // Nothing new on the day.
  await s.open(page, `/schedule?date=${day}`);
  assert.equal(await bookedCount(page), 1);
  assert.equal(await page.locator('table.day-grid a.appt').count(), 1);
  assert.equal(await blocks(page, first, '10:30–11:00').count(), 1);
  assert.equal(await blocks(page, second).count(), 0, `no block of ${second.block}`);
  assert.deepEqual(csp, [], 'no Content-Security-Policy complaint');
});

scheduleTest('an appointment is moved by keyboard; a move onto taken time is refused on its page', async (s) => {
  const { page } = await s.newPage(LOCALE);
  const csp = watchCsp(page);
  await s.signIn(page, s.account('dental_assistant'));
  const day = addDays(await practiceToday(s, page), 32);
  const [moving, staying] = await patients(s, page, 'enamel', 2);
  const common = { date: day, operatory: 'Operatory 1', minutes: 30 };
  assert.equal((await bookThroughPage(s, page, moving, { ...common, time: '09:00', provider: PROVIDERS.DDS1 })).status(), 303);
  assert.equal((await bookThroughPage(s, page, staying, { ...common, time: '11:00', provider: PROVIDERS.DDS2 })).status(), 303);
  await expectDay(s, page, day);
  assert.equal(await bookedCount(page), 2);

  // The block is a link: Enter on it opens the appointment.
  const href = await openBlock(s, page, blocks(page, moving, '09:00–09:30'));
  assert.equal(await fact(page, 'When'), `${longDate(day)}, 09:00–09:30`);
  assert.equal(await fact(page, 'Operatory'), 'Operatory 1');
  assert.equal(await fact(page, 'Patient'), moving.block);

  // The move form by keyboard: Tab to its day, type it, the time, the chair; Tab to Move, Enter.
  assert.equal(await page.getByRole('heading', { level: 2, name: 'Move' }).count(), 1);
  await tabTo(page, '#move-date');
  assert.equal(await page.locator('#move-date').inputValue(), day, 'the form starts from where it is');
  await typeDate(page, page.locator('#move-date'), day);
  await tabTo(page, '#move-time');
  await typeTime(page, page.locator('#move-time'), '14:00');
  await tabTo(page, '#move-op');
  await typeChoice(page, page.locator('#move-op'), 'Operatory 2');
  await tabTo(page, 'form.move-form button[type=submit]');
  const moved = await submitted(page, `${href}/move`, () => page.keyboard.press('Enter'));
  assert.equal(moved.status(), 303);

  // The day shows it at its new time and chair, and nothing left at the old one.
  await expectDay(s, page, day);
  assert.equal(await bookedCount(page), 2);
  assert.equal(await blocks(page, moving, '09:00–09:30').count(), 0, 'not at 09:00 any more');
  const block = blocks(page, moving);
  assert.equal(await block.count(), 1);
  assert.equal(await block.locator('.appt-time').innerText(), '14:00–14:30');
  assert.deepEqual(await placeOf(page, block), { column: 'Operatory 2', row: '14:00', rowspan: 3 });
  assert.deepEqual(await placeOf(page, blocks(page, staying)), { column: 'Operatory 1', row: '11:00', rowspan: 3 });

  // Onto the other appointment's time and chair: refused on the appointment's page.
  await openBlock(s, page, block);
  await tabTo(page, '#move-time');
  await typeTime(page, page.locator('#move-time'), '11:00');
  await tabTo(page, '#move-op');
  await typeChoice(page, page.locator('#move-op'), 'Operatory 1');
  await tabTo(page, 'form.move-form button[type=submit]');
  const refused = await submitted(page, `${href}/move`, () => page.keyboard.press('Enter'));
  assert.equal(refused.status(), 409);
  await expectPath(page, `${href}/move`);
  const last = s.lastDocument(`${href}/move`);
  assert.equal(last.cacheControl, 'no-store');
  const problem = page.locator('#problem');
  assert.equal(await problem.getAttribute('role'), 'alert');
  assert.equal(
    (await problem.innerText()).trim(),
    `Operatory 1 is already booked from 11:00 to 11:30 on ${day}. Choose another time or operatory.`,
  );
  assert.equal(await page.locator('#move-time').inputValue(), '11:00', 'what was typed is kept');
  assert.equal(await chosen(page.locator('#move-op')), 'Operatory 1');
  assert.equal(await fact(page, 'When'), `${longDate(day)}, 14:00–14:30`, 'the appointment stays where it was');
  assert.equal(await fact(page, 'Operatory'), 'Operatory 2');

  await s.open(page, `/schedule?date=${day}`);
  assert.equal(await blocks(page, moving, '14:00–14:30').count(), 1);
  assert.equal(await blocks(page, staying, '11:00–11:30').count(), 1);
  assert.equal(await bookedCount(page), 2);
  assert.deepEqual(csp, [], 'no Content-Security-Policy complaint');
});

scheduleTest('a patient is checked in, seated and completed from the appointment page', async (s) => {
  const { page } = await s.newPage(LOCALE);
  const csp = watchCsp(page);
  await s.signIn(page, s.account('hygienist'));
  const today = await practiceToday(s, page);
  const [patient] = await patients(s, page, 'implant', 1);
  const slot = { date: today, time: '18:00', operatory: 'Hygiene 2', provider: PROVIDERS.HYG2, minutes: 30 };
  assert.equal((await bookThroughPage(s, page, patient, slot)).status(), 303);
  await expectDay(s, page, today);

  const href = await openBlock(s, page, blocks(page, patient, '18:00–18:30'));
  assert.equal(await fact(page, 'Status'), 'Scheduled');
  assert.equal(await fact(page, 'Arrived'), null);

  /** Presses a status button by keyboard and waits for the page again. */
  const press = async (name) => {
    const button = page.getByRole('button', { name, exact: true });
    assert.equal(await button.count(), 1, `a "${name}" button`);
    await button.focus();
    const answer = await submitted(page, `${href}/status`, () => page.keyboard.press('Enter'));
    assert.equal(answer.status(), 303, `${name}: ${answer.status()}`);
    await expectPath(page, href);
    s.expectDocumentNoStore(href);
  };

  await press('Check in (arrived)');
  assert.equal(await fact(page, 'Status'), 'Arrived');
  assert.ok(await fact(page, 'Arrived'), 'the arrival time is shown');
  await press('Seat (in the chair)');
  assert.equal(await fact(page, 'Status'), 'In the chair');
  assert.ok(await fact(page, 'Seated'), 'the seating time is shown');
  await press('Complete');
  assert.equal(await fact(page, 'Status'), 'Complete');
  assert.equal(
    await page.locator(`form[action="${href}/status"]`).count(),
    0,
    'a complete appointment offers no more status changes',
  );

  // Back to the day, by keyboard: the block says Complete.
  await page.getByRole('link', { name: `Back to the schedule of ${longDate(today)}` }).focus();
  await page.keyboard.press('Enter');
  await expectDay(s, page, today);
  const block = blocks(page, patient, '18:00–18:30');
  assert.equal(await block.locator('.appt-status').innerText(), 'Complete');
  assert.match(await block.getAttribute('class'), /\bstatus-complete\b/);
  assert.deepEqual(await placeOf(page, block), { column: 'Hygiene 2', row: '18:00', rowspan: 3 });
  assert.deepEqual(csp, [], 'no Content-Security-Policy complaint');
});

scheduleTest('at tablet width the day fits: the table scrolls in its own focusable region', async (s) => {
  const { page } = await s.newPage(TABLET);
  await s.signIn(page, s.account('billing'));

  /** What overflows, and the schedule's region and blocks, measured in the page. */
  const measure = () =>
    page.evaluate(() => {
      const root = document.documentElement;
      const region = document.querySelector('.day-scroll');
      const table = region.querySelector('table.day-grid');
      const r = region.getBoundingClientRect();
      return {
        viewport: root.clientWidth,
        page: root.scrollWidth,
        body: document.body.scrollWidth,
        overflowX: getComputedStyle(region).overflowX,
        region: { left: r.left, right: r.right, width: region.clientWidth, scroll: region.scrollWidth },
        table: table.getBoundingClientRect().width,
        blocks: [...table.querySelectorAll('a.appt')].map((a) => {
          const b = a.getBoundingClientRect();
          return {
            text: a.innerText,
            width: b.width,
            height: b.height,
            font: parseFloat(getComputedStyle(a).fontSize),
            who: a.querySelector('.appt-who').getBoundingClientRect().width,
          };
        }),
      };
    });

  for (const path of ['/', '/schedule', '/schedule?step=5']) {
    if (path !== '/') {
      await s.open(page, path);
    }
    const m = await measure();
    assert.equal(m.viewport, 768);
    assert.ok(m.page <= m.viewport, `${path}: the page does not scroll sideways (${m.page} > ${m.viewport})`);
    assert.ok(m.body <= m.viewport, `${path}: nor its body (${m.body})`);
    assert.ok(['auto', 'scroll'].includes(m.overflowX), `${path}: the region scrolls (${m.overflowX})`);
    assert.ok(m.region.left >= 0 && m.region.right <= m.viewport, `${path}: the region is on the screen`);
    assert.ok(m.region.scroll >= Math.floor(m.table), `${path}: the table is inside its region`);
    assert.ok(m.blocks.length > 0, `${path}: blocks are shown`);
    for (const b of m.blocks) {
      assert.ok(b.width >= 80 && b.height > 0 && b.who > 0, `${path}: a readable block: ${JSON.stringify(b)}`);
      assert.ok(b.font >= 14, `${path}: text of ${b.font}px in ${b.text}`);
      assert.match(b.text, /\d{2}:\d{2}–\d{2}:\d{2}/);
    }
  }

  // The region is reached by Tab, shows it has the focus, and is named; the blocks come next.
  await tabTo(page, '.day-scroll', 60);
  const region = await page.evaluate(() => {
    const e = document.activeElement;
    return {
      role: e.getAttribute('role'),
      label: e.getAttribute('aria-label'),
      tabindex: e.getAttribute('tabindex'),
      outline: getComputedStyle(e).outlineStyle,
    };
  });
  assert.equal(region.role, 'region');
  assert.match(region.label, /^Schedule of \w+day \d{1,2} \w+ \d{4}$/);
  assert.equal(region.tabindex, '0');
  assert.notEqual(region.outline, 'none', 'the focused region is visibly marked');
  await page.keyboard.press('Tab');
  assert.ok(await focusMatches(page, '.day-scroll a.appt'), 'Tab goes on to the first block');
  const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
  assert.notEqual(outline, 'none', 'the focused block is visibly marked');
});

scheduleTest('the schedule pages are not stored and leave nothing in web storage', async (s) => {
  const { context, page } = await s.newPage(LOCALE);
  await s.signIn(page, s.account('front_desk'));
  const today = await practiceToday(s, page);
  const [patient] = await patients(s, page, 'molar', 1);

  await s.open(page, `/schedule?date=${addDays(today, 1)}&step=15`);
  await s.open(page, `/schedule?date=${today}&step=5`);
  const href = await page.locator('table.day-grid a.appt').first().getAttribute('href');
  assert.match(href, APPOINTMENT);
  await s.open(page, href);
  assert.equal(await page.locator('h1').innerText(), 'Appointment');
  await s.open(page, `/schedule/book?patient=${patient.id}`);
  await s.open(page, `/schedule/print?date=${today}`);
  assert.equal(await page.locator('h1').innerText(), `Day sheet, ${longDate(today)}`);
  await s.open(page, '/schedule/asap');
  assert.equal(await page.locator('h1').innerText(), 'ASAP list');
  await s.open(page, '/schedule?date=not-a-day');
  assert.equal(
    (await page.locator('main p[role=alert]').innerText()).trim(),
    'That day is not a date; here is today.',
  );

  const storage = await page.evaluate(() => ({ local: localStorage.length, session: sessionStorage.length }));
  assert.deepEqual(storage, { local: 0, session: 0 }, 'no web storage');
  const cookies = (await context.cookies()).map((c) => c.name);
  assert.ok(cookies.includes('__Host-enamel_session'), 'the session cookie');
  assert.deepEqual(
    cookies.filter((c) => !['__Host-enamel_session', '__Host-enamel_pending'].includes(c)),
    [],
    'no other cookie',
  );
  const unstored = s.responses.filter((r) => new URL(r.url).pathname.startsWith('/schedule') && r.cacheControl !== 'no-store');
  assert.deepEqual(unstored, [], 'every schedule page said no-store');
  assert.ok(s.responses.filter((r) => new URL(r.url).pathname.startsWith('/schedule')).length >= 7);
});
