// Every address of both apps as a person reaches it (issue 17): opened
// directly, signed in and out, reloaded, in a second tab, back and forward;
// phone, tablet and laptop widths; an axe-core audit of every screen; the
// whole flow from the keyboard alone. Runs after web.test.mjs against the
// same service (browser_test.cpp), with a bakery of its own.
import assert from 'node:assert/strict';
import {
  SITE, ADMIN, password, run, newContext, shot, apiCall, step, liveOpen, seriousViolations,
  useBrowser, expectNoPageErrors,
} from './helpers.mjs';

const owner = { name: 'Paula Panadera', bakery: 'Harina Norte', email: `paula-${run}@example.test` };
const staff = { name: 'Bartholomew Longname-Baker', email: `bart-${run}@example.test` };
const widths = { phone: { width: 390, height: 844 }, tablet: { width: 768, height: 1024 }, laptop: { width: 1280, height: 800 } };
const SHOWN_WITHIN = 2000; // every address shows its screen or a way on within 2 s

let ownerToken = '';
let staffToken = '';
let freeOrder = null; // nobody holds it (the one each width's editor opens)
let heldOrder = null; // held by the staff member from a script for the whole suite
let usedSession = ''; // a hand-off id already claimed

useBrowser();

/** Signs `who` in the way the website does: a hand-off the dashboard claims. */
async function enterDashboard(context, who) {
  const tokens = await apiCall('POST', '/api/v1/auth/login', { email: who.email, password });
  const { sessionId } = await apiCall('POST', '/api/v1/auth/transfer', { refreshToken: tokens.refreshToken }, tokens.accessToken);
  const page = await context.newPage();
  await page.goto(`${ADMIN}/auth/callback?session=${sessionId}`);
  await page.waitForURL(`${ADMIN}/orders`);
  await page.getByRole('heading', { name: 'Orders', exact: true }).waitFor();
  return page;
}

// What each dashboard address shows a signed-in person.
const signedInScreens = () => [
  { path: '/', url: `${ADMIN}/orders`, heading: 'Orders' },
  { path: '/orders', heading: 'Orders' },
  { path: `/orders/${heldOrder.id}`, heading: `Order for ${heldOrder.customerName}` },
  { path: '/orders/new', heading: 'New order' },
  { path: '/staff', heading: 'Staff' },
  { path: '/no/such/page', heading: 'Page not found', link: 'Go to the orders' },
  { path: `/auth/callback?session=${usedSession}`, url: `${ADMIN}/auth/callback`, heading: 'This sign-in link has expired', link: 'Go to the orders' },
];

/** Opens `path` and waits for its heading: within SHOWN_WITHIN, and never an endless "Loading…". */
async function expectScreen(page, screen, how) {
  const started = Date.now();
  await page.getByRole('heading', { name: screen.heading, exact: true })
    .waitFor({ timeout: SHOWN_WITHIN })
    .catch((error) => { throw new Error(`${how} ${screen.path}: no "${screen.heading}" within ${SHOWN_WITHIN} ms (${error.message.split('\n')[0]})`); });
  assert.ok(Date.now() - started <= SHOWN_WITHIN + 200, `${how} ${screen.path}`);
  assert.equal(await page.getByText('Loading…').count(), 0, `${how} ${screen.path}: still "Loading…"`);
  if (screen.url) assert.equal(page.url(), screen.url, `${how} ${screen.path}`);
  if (screen.link) await page.getByRole('link', { name: screen.link }).waitFor({ timeout: 500 });
}

step('set-up: a bakery with staff, orders with due dates, one order held by the staff member', async () => {
  ownerToken = (await apiCall('POST', '/api/v1/auth/register',
    { email: owner.email, password, name: owner.name, bakeryName: owner.bakery })).accessToken;
  await apiCall('POST', '/api/v1/users', { email: staff.email, password, name: staff.name, role: 'staff' }, ownerToken);
  staffToken = (await apiCall('POST', '/api/v1/auth/login', { email: staff.email, password })).accessToken;
  const due = (hours) => new Date(Date.now() + hours * 3_600_000).toISOString();
  const items = [{ product: 'Pain de campagne', quantity: 12, unitPriceCents: 650 }, { product: 'Croissant', quantity: 40, unitPriceCents: 180 }];
  freeOrder = await apiCall('POST', '/api/v1/orders', { customerName: 'Boulangerie du Marché Saint-Germain', items, dueAt: due(5), notes: 'Side door.' }, ownerToken);
  heldOrder = await apiCall('POST', '/api/v1/orders', { customerName: 'Hotel Aurora', items, dueAt: due(20) }, ownerToken);
  await apiCall('POST', `/api/v1/orders/${heldOrder.id}/lock`, { sessionId: 'staff-tablet' }, staffToken);
  // A hand-off that has been used.
  const tokens = await apiCall('POST', '/api/v1/auth/login', { email: owner.email, password });
  usedSession = (await apiCall('POST', '/api/v1/auth/transfer', { refreshToken: tokens.refreshToken }, tokens.accessToken)).sessionId;
  await apiCall('POST', '/api/v1/auth/transfer/claim', { sessionId: usedSession });
});

step('signed out, every dashboard address shows a way to sign in within 2 s', async () => {
  const context = await newContext();
  const page = await context.newPage();
  for (const path of ['/', '/orders', `/orders/${heldOrder.id}`, '/orders/new', '/staff', '/no/such/page']) {
    await page.goto(ADMIN + path);
    await expectScreen(page, { path, heading: 'You are signed out' }, 'signed out');
    assert.equal(await page.getByRole('link', { name: 'Sign in again' }).getAttribute('href'), `${SITE}/signin`);
    assert.deepEqual(await seriousViolations(page), [], `axe, signed out at ${path}`);
  }
  for (const path of [`/auth/callback?session=${usedSession}`, '/auth/callback']) {
    await page.goto(ADMIN + path);
    await expectScreen(page, { path, heading: 'This sign-in link has expired', link: 'Back to sign in' }, 'signed out');
    assert.deepEqual(await seriousViolations(page), [], `axe, signed out at ${path}`);
  }
  await shot(page, 'pages-admin-link-expired-signed-out');
});

step('signed in, every dashboard address opened directly, reloaded and in a second tab', async () => {
  const context = await newContext();
  const first = await enterDashboard(context, owner);
  for (const screen of signedInScreens()) {
    await first.goto(ADMIN + screen.path);
    await expectScreen(first, screen, 'opened');
    assert.deepEqual(await seriousViolations(first), [], `axe at ${screen.path}`);
    if (!screen.path.startsWith('/auth/callback')) {
      await first.reload();
      await expectScreen(first, { ...screen, url: screen.url || ADMIN + screen.path }, 'reloaded');
    }
    const second = await context.newPage();
    await second.goto(ADMIN + screen.path);
    await expectScreen(second, screen, 'second tab');
    await second.close();
  }
  await first.goto(`${ADMIN}/`);
  await expectScreen(first, signedInScreens()[0], 'the dashboard\'s own address');
  await shot(first, 'pages-admin-root');
  await context.close();
});

step('back and forward through the dashboard', async () => {
  const context = await newContext();
  const page = await enterDashboard(context, owner);
  await liveOpen(page);
  await page.getByRole('link', { name: freeOrder.customerName }).click();
  await page.getByText('You are editing this order').waitFor();
  await page.getByRole('link', { name: 'Staff' }).click();
  await page.getByRole('heading', { name: 'Staff', exact: true }).waitFor();
  await page.goBack();
  await page.getByText('You are editing this order').waitFor({ timeout: SHOWN_WITHIN });
  await page.goBack();
  await expectScreen(page, { path: '/orders', heading: 'Orders' }, 'back');
  await page.goForward();
  await page.getByText('You are editing this order').waitFor({ timeout: SHOWN_WITHIN });
  await page.goForward();
  await expectScreen(page, { path: '/staff', heading: 'Staff' }, 'forward');
  // Leaving the editor released the lock.
  const lock = await apiCall('GET', `/api/v1/orders/${freeOrder.id}/lock`, null, ownerToken);
  assert.equal(lock.locked, false);
  await context.close();
});

step('the website\'s pages, signed in and signed out', async () => {
  const signedOut = await newContext();
  const signedIn = await newContext();
  await enterDashboard(signedIn, owner);
  for (const context of [signedOut, signedIn]) {
    const page = await context.newPage();
    for (const [path, heading] of [['/', /Every order/], ['/signin', 'Sign in to BakeWind'], ['/signup', 'Register your bakery'], ['/no/such/page', 'Page not found']]) {
      await page.goto(SITE + path);
      await page.getByRole('heading', { name: heading }).waitFor({ timeout: SHOWN_WITHIN });
      assert.deepEqual(await seriousViolations(page), [], `axe, website ${path}`);
      await page.reload();
      await page.getByRole('heading', { name: heading }).waitFor({ timeout: SHOWN_WITHIN });
    }
    await page.close();
  }
});

/**
 * What goes wrong on the page at this width: a horizontal scroll, a visible
 * control (link, button, field) partly off the screen, text clipped in a
 * cell of a table.
 */
async function layoutProblems(page) {
  return page.evaluate(() => {
    const out = [];
    const width = document.documentElement.clientWidth;
    if (document.documentElement.scrollWidth > width + 1) out.push(`page is ${document.documentElement.scrollWidth - width} px wider than the screen`);
    for (const el of document.querySelectorAll('a, button, input, select, textarea, .lock-note')) {
      if (el.classList.contains('skip')) continue; // the skip link waits off screen until focused
      const box = el.getBoundingClientRect();
      if (box.width === 0 || box.height === 0) continue; // not shown
      if (box.left < -1 || box.right > width + 1) out.push(`${el.tagName} "${(el.textContent || el.name || '').trim().slice(0, 30)}" at x ${Math.round(box.left)}..${Math.round(box.right)}`);
    }
    for (const cell of document.querySelectorAll('td')) {
      if (cell.scrollWidth > cell.clientWidth + 1) out.push(`cell "${cell.textContent.trim().slice(0, 30)}" clipped`);
    }
    return out;
  });
}

for (const [name, viewport] of Object.entries(widths)) {
  step(`at ${name} width (${viewport.width} px): no horizontal scroll, every control on screen, who is editing visible`, async () => {
    const context = await newContext(viewport);
    const site = await context.newPage();
    for (const [path, heading, shotName] of [['/', /Every order/, 'home'], ['/signin', 'Sign in to BakeWind', 'signin'], ['/signup', 'Register your bakery', 'signup']]) {
      await site.goto(SITE + path);
      await site.getByRole('heading', { name: heading }).waitFor();
      assert.deepEqual(await layoutProblems(site), [], `website ${path} at ${name}`);
      await shot(site, `w${viewport.width}-site-${shotName}`);
    }
    await site.close();

    const page = await enterDashboard(context, owner);
    await liveOpen(page);
    const heldRow = page.getByRole('row').filter({ hasText: heldOrder.customerName });
    const note = heldRow.getByText(`Being edited by ${staff.name}`);
    await note.waitFor();
    assert.ok(await note.isVisible(), 'who is editing, in the list');
    await page.getByRole('row').filter({ hasText: freeOrder.customerName }).getByText('Free').waitFor();
    assert.deepEqual(await layoutProblems(page), [], `orders at ${name}`);
    await shot(page, `w${viewport.width}-admin-orders`);

    await page.getByRole('link', { name: freeOrder.customerName }).click();
    await page.getByText('You are editing this order').waitFor();
    assert.equal(await page.getByRole('button', { name: 'Save' }).isEnabled(), true);
    assert.deepEqual(await layoutProblems(page), [], `editor, held by you, at ${name}`);
    await shot(page, `w${viewport.width}-admin-editor-yours`);

    await page.goto(`${ADMIN}/orders/${heldOrder.id}`);
    await page.getByText(new RegExp(`Being edited by ${staff.name} since`)).waitFor();
    assert.equal(await page.getByRole('button', { name: 'Save' }).isDisabled(), true);
    await page.getByRole('button', { name: 'Force release' }).waitFor();
    assert.deepEqual(await layoutProblems(page), [], `editor, held by someone else, at ${name}`);
    assert.deepEqual(await seriousViolations(page), [], `axe, read-only editor at ${name}`);
    await shot(page, `w${viewport.width}-admin-editor-held`);

    await page.getByRole('link', { name: 'Staff' }).click();
    await page.getByRole('cell', { name: staff.email }).waitFor();
    assert.deepEqual(await layoutProblems(page), [], `staff at ${name}`);
    await shot(page, `w${viewport.width}-admin-staff`);

    await page.getByRole('link', { name: 'Orders' }).click();
    await page.getByRole('button', { name: 'New order' }).click();
    await page.getByRole('heading', { name: 'New order' }).waitFor();
    assert.deepEqual(await layoutProblems(page), [], `new order at ${name}`);
    assert.deepEqual(await seriousViolations(page), [], `axe, new order at ${name}`);
    await shot(page, `w${viewport.width}-admin-new-order`);
    await context.close();
  });
}

/**
 * Presses Tab (Shift+Tab with `backwards`) until the focused element
 * matches `test(arg)`, at most 60 times.
 */
async function tabTo(page, description, test, { arg = null, backwards = false } = {}) {
  for (let i = 0; i < 60; i += 1) {
    await page.keyboard.press(backwards ? 'Shift+Tab' : 'Tab');
    if (await page.evaluate(test, arg)) return;
  }
  throw new Error(`Tab never reached ${description}`);
}

step('the whole flow from the keyboard alone: sign in, open an order, change it, save, sign out', async () => {
  const context = await newContext();
  const page = await context.newPage();
  await page.goto(`${SITE}/signin`);
  await tabTo(page, 'the email field', () => document.activeElement.id === 'signin-email');
  await page.keyboard.type(owner.email);
  await page.keyboard.press('Tab');
  await page.keyboard.type(password);
  await page.keyboard.press('Enter');
  await page.waitForURL(`${ADMIN}/orders`);
  await page.getByRole('link', { name: freeOrder.customerName }).waitFor();
  await liveOpen(page);

  await tabTo(page, 'the free order', (name) => document.activeElement.textContent === name, { arg: freeOrder.customerName });
  await page.keyboard.press('Enter');
  await page.getByText('You are editing this order').waitFor();
  await tabTo(page, 'the notes', () => document.activeElement.tagName === 'TEXTAREA');
  await page.keyboard.press('Control+A');
  await page.keyboard.type('Typed without a mouse.');
  await tabTo(page, 'Save', () => document.activeElement.textContent === 'Save');
  await page.keyboard.press('Enter');
  await page.getByText(/^Saved at/).waitFor();
  const saved = await apiCall('GET', `/api/v1/orders/${freeOrder.id}`, null, ownerToken);
  assert.equal(saved.notes, 'Typed without a mouse.');

  await tabTo(page, 'Sign out', () => document.activeElement.id === 'sign-out', { backwards: true });
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'You are signed out' }).waitFor();
  await context.close();
});

expectNoPageErrors();
