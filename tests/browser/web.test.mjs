// Browser tests of the two web apps (issue 8): playwright-core driving
// Debian's chromium, headless, against a real `bakewind serve` with real
// Redis and PostgreSQL (browser_test.cpp starts them; helpers.mjs lists what
// it passes). The tests run in order and share the bakery they create.
import assert from 'node:assert/strict';
import {
  env, SITE, ADMIN, password, run, contexts, newContext, shot, apiCall, signIn, step, liveOpen,
  useBrowser, expectNoPageErrors,
} from './helpers.mjs';

const owner = { name: 'Olivia Baker', bakery: 'Crumb & Co', email: `olivia-${run}@example.test` };
const staff = { name: 'Sam Staff', email: `sam-${run}@example.test` };
const admin = { name: 'Ada Admin', email: `ada-${run}@example.test` };

let callbackUrl = '';
let orderId = '';
let staffContext; // the staff member's browser, from the two-user test on

useBrowser();

// The controls of `form` a person could use to change something: enabled
// buttons and selects, and fields that are neither disabled nor read-only.
async function enabledControlsOf(form) {
  return form.evaluate((el) => [...el.querySelectorAll('input, select, textarea, button')]
    .filter((c) => !c.disabled && !c.readOnly && c.type !== 'hidden')
    .map((c) => c.getAttribute('aria-label') || c.name || c.textContent.trim() || c.tagName));
}

step('sign-up on the website lands on the dashboard through a one-time hand-off', async () => {
  const context = await newContext();
  const page = await context.newPage();
  const urls = [];
  page.on('request', (request) => urls.push(request.url()));
  await page.goto(SITE);
  await page.getByRole('heading', { name: /Every order/ }).waitFor();
  await shot(page, '01-site-landing');

  await page.getByRole('link', { name: 'Register your bakery' }).click();
  await page.getByRole('button', { name: 'Create bakery' }).click(); // empty: every field is named
  await page.getByRole('alert').filter({ hasText: 'Your name is required' }).waitFor();
  await page.getByLabel('Your name').fill(owner.name);
  await page.getByLabel('Bakery name').fill(owner.bakery);
  await page.getByLabel('Email').fill(owner.email);
  await page.getByLabel('Password').fill(password);
  await shot(page, '02-site-signup');
  await page.getByRole('button', { name: 'Create bakery' }).click();

  await page.waitForURL(`${ADMIN}/orders`);
  await page.getByRole('heading', { name: 'Orders' }).waitFor();
  await page.getByText('No orders yet').waitFor();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
  await page.getByRole('button', { name: 'New order' }).waitFor();
  await page.getByText(owner.name).first().waitFor();

  callbackUrl = urls.find((u) => u.startsWith(`${ADMIN}/auth/callback?session=`));
  assert.match(callbackUrl, /\?session=[0-9a-f]{64}$/, 'the dashboard was opened with the session id only');
  const access = JSON.parse(await page.evaluate(() => localStorage.getItem('bakewind.auth'))).accessToken;
  for (const u of urls) assert.ok(!u.includes(access) && !u.includes('eyJ'), `a token in a URL: ${u}`);
  assert.equal(page.url(), `${ADMIN}/orders`, 'the session id left the address bar');
  await shot(page, '03-admin-orders-empty');

  // The same address again (a reload of the callback, or the link replayed): the session is gone.
  // This browser is signed in, so the way on is the dashboard itself.
  const replay = await context.newPage();
  await replay.goto(callbackUrl);
  await replay.getByRole('heading', { name: 'This sign-in link has expired' }).waitFor();
  const onward = replay.getByRole('link', { name: 'Go to the orders' });
  assert.equal(await onward.getAttribute('href'), '/orders');
  assert.equal(replay.url(), `${ADMIN}/auth/callback`);
  await replay.reload();
  await replay.getByRole('heading', { name: 'This sign-in link has expired' }).waitFor();
  await replay.close();
});

step('a replayed callback URL is rejected in another browser', async () => {
  const context = await newContext();
  const page = await context.newPage();
  await page.goto(callbackUrl);
  await page.getByRole('heading', { name: 'This sign-in link has expired' }).waitFor();
  assert.equal(await page.evaluate(() => localStorage.getItem('bakewind.auth')), null);
  await shot(page, '04-admin-link-expired');
  await page.getByRole('link', { name: 'Back to sign in' }).click();
  await page.waitForURL(`${SITE}/signin`);
  await page.getByLabel('Email').fill(owner.email);
  await page.getByLabel('Password').fill('wrong-password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('alert').filter({ hasText: 'Invalid credentials' }).waitFor();
  await shot(page, '05-site-signin-error');
});

step('the owner adds staff and an admin, and creates orders', async () => {
  const page = contexts[0].pages()[0];
  await page.getByRole('link', { name: 'Staff' }).click();
  await page.getByRole('heading', { name: 'Add a team member' }).waitFor();
  for (const [who, role] of [[staff, 'Staff'], [admin, 'Admin']]) {
    await page.getByLabel('Name', { exact: true }).fill(who.name);
    await page.getByLabel('Email').fill(who.email);
    await page.getByLabel('Password').fill(password);
    await page.getByLabel('Role').selectOption({ label: role });
    await page.getByRole('button', { name: 'Add staff member' }).click();
    await page.getByRole('cell', { name: who.email }).waitFor();
  }
  await page.getByLabel('Email').fill(staff.email); // a duplicate: the API's message is shown
  await page.getByLabel('Name', { exact: true }).fill('Someone');
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Add staff member' }).click();
  await page.getByRole('alert').filter({ hasText: 'Email already registered' }).waitFor();
  await shot(page, '06-admin-staff');

  // Sixteen orders through the API, so the list has two pages.
  const { accessToken } = await apiCall('POST', '/api/v1/auth/login', { email: owner.email, password });
  for (let i = 1; i <= 16; i += 1) {
    await apiCall('POST', '/api/v1/orders', {
      customerName: `Customer ${String(i).padStart(2, '0')}`,
      items: [{ product: 'Sourdough loaf', quantity: i, unitPriceCents: 450 }],
      dueAt: new Date(Date.now() + i * 3_600_000).toISOString(),
    }, accessToken);
  }

  await page.getByRole('link', { name: 'Orders' }).click();
  await page.getByRole('button', { name: 'New order' }).click();
  await page.getByRole('heading', { name: 'New order' }).waitFor();
  await page.getByLabel('Customer').fill('Hotel Aurora');
  await page.getByLabel('Product 1').fill('Croissant');
  await page.getByLabel('Quantity 1').fill('40');
  await page.getByLabel('Unit price 1').fill('1.80');
  await page.getByRole('button', { name: 'Add item' }).click();
  await page.getByLabel('Product 2').fill('Rye bread');
  await page.getByLabel('Quantity 2').fill('6');
  await page.getByLabel('Unit price 2').fill('5.20');
  await page.getByLabel('Notes').fill('Deliver to the back entrance before 7:00.');
  await shot(page, '07-admin-new-order');
  await page.getByRole('button', { name: 'Create order' }).click();
  await page.waitForURL(/\/orders\/[0-9a-f-]{36}$/);
  orderId = page.url().split('/').pop();
  await page.getByText('You are editing this order').waitFor();
  await page.close({ runBeforeUnload: true }); // releases the lock
});

step('the order list filters by status and pages', async () => {
  const page = await contexts[0].newPage();
  await page.goto(`${ADMIN}/orders`);
  await page.getByRole('link', { name: 'Hotel Aurora' }).waitFor();
  await page.getByText('Page 1').waitFor();
  await shot(page, '08-admin-orders');
  await page.getByRole('link', { name: 'Next →' }).click();
  await page.getByText('Page 2').waitFor();
  await page.getByRole('link', { name: 'Customer 01' }).waitFor();
  await page.getByRole('link', { name: '← Previous' }).click();
  await page.getByText('Page 1').waitFor();
  await page.getByLabel('Status').selectOption({ label: 'Ready' });
  await page.getByText('No orders with this status.').waitFor();
  await page.getByLabel('Status').selectOption({ label: 'Pending' });
  await page.getByRole('link', { name: 'Hotel Aurora' }).waitFor();
  await page.setViewportSize({ width: 768, height: 1024 }); // a tablet, upright
  await shot(page, '08b-admin-orders-tablet-portrait');
  await page.close();
});

step('two users open one order: the second sees the holder and gets it within 1 s of the tab closing', async () => {
  staffContext = await newContext({ width: 1024, height: 768 }); // a tablet
  const staffPage = await staffContext.newPage();
  await signIn(staffPage, staff);
  await liveOpen(staffPage);
  const row = staffPage.getByRole('row').filter({ hasText: 'Hotel Aurora' });
  await row.getByText('Free').waitFor();

  // The owner opens it: the staff member's list shows it live (WebSocket, no reload).
  const ownerPage = await contexts[0].newPage();
  await ownerPage.goto(`${ADMIN}/orders/${orderId}`);
  await ownerPage.getByText('You are editing this order').waitFor();
  await shot(ownerPage, '09-admin-editor-holding');
  await row.getByText(`Being edited by ${owner.name}`).waitFor({ timeout: 2000 });
  await shot(staffPage, '10-admin-orders-locked-row-tablet');

  await row.getByRole('link', { name: 'Hotel Aurora' }).click();
  await staffPage.getByText(new RegExp(`Being edited by ${owner.name} since \\d`)).waitFor();
  // Read-only means read-only: nothing in the form can change the order.
  assert.equal(await staffPage.getByLabel('Customer').isEditable(), false, 'read-only while someone else edits');
  assert.equal(await staffPage.getByRole('button', { name: 'Save' }).isDisabled(), true, 'no Save for a read-only order');
  assert.deepEqual(await enabledControlsOf(staffPage.locator('form.editor')), []);
  await shot(staffPage, '11-admin-editor-locked-tablet');
  await liveOpen(staffPage);

  const closedAt = Date.now();
  await ownerPage.close({ runBeforeUnload: true });
  await staffPage.getByText('You are editing this order').waitFor({ timeout: 1000 });
  const took = Date.now() - closedAt;
  assert.ok(took <= 1000, `took ${took} ms`);
  assert.equal(await staffPage.getByLabel('Customer').isEditable(), true);

  await staffPage.getByLabel('Notes').fill('Deliver to the back entrance before 6:30.');
  await staffPage.getByLabel('Status').selectOption({ label: 'Confirmed' });
  await staffPage.getByRole('button', { name: 'Save' }).click();
  await staffPage.getByText(/^Saved at/).waitFor();
  await staffPage.getByText('Version 2').waitFor();
});

step('an admin force-releases the lock; the holder sees it lost and cannot save', async () => {
  const staffPage = staffContext.pages()[0];
  const adminContext = await newContext();
  const adminPage = await adminContext.newPage();
  await signIn(adminPage, admin);
  await adminPage.goto(`${ADMIN}/orders/${orderId}`);
  await adminPage.getByText(new RegExp(`Being edited by ${staff.name} since`)).waitFor();
  await shot(adminPage, '12-admin-editor-force-release');
  await adminPage.getByRole('button', { name: 'Force release' }).click();
  await adminPage.getByText('You are editing this order').waitFor();

  await staffPage.getByRole('alert').filter({ hasText: 'Your edit lock was lost' }).waitFor();
  // The earlier "Saved at" no longer stands beside a Save that cannot save.
  assert.equal(await staffPage.getByText(/^Saved at/).count(), 0, 'no "Saved at" once the lock is lost');
  // What was typed stays in view, but cannot be saved: Save is off.
  await staffPage.getByLabel('Notes').fill('An edit after the lock was lost');
  assert.equal(await staffPage.getByRole('button', { name: 'Save' }).isDisabled(), true, 'no Save without the lock');
  await staffPage.getByLabel('Notes').press('Enter'); // nor through the keyboard
  await shot(staffPage, '13-admin-editor-lock-lost-tablet');
  const order = await apiCall('GET', `/api/v1/orders/${orderId}`, null,
    (await apiCall('POST', '/api/v1/auth/login', { email: admin.email, password })).accessToken);
  assert.equal(order.notes, 'Deliver to the back entrance before 6:30.');
  await adminPage.goto(`${ADMIN}/orders`); // leaving releases
  await staffPage.getByRole('button', { name: 'Edit again' }).click();
  await staffPage.getByText('You are editing this order').waitFor();
});

step('the dashboard refreshes its access token before it expires', async () => {
  const site = env('BW_SHORT_SITE_URL');
  const dashboard = env('BW_SHORT_ADMIN_URL');
  const context = await newContext();
  const page = await context.newPage();
  await page.goto(`${site}/signin`);
  await page.getByLabel('Email').fill(admin.email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${dashboard}/orders`);
  await liveOpen(page);
  const stored = () => page.evaluate(() => JSON.parse(localStorage.getItem('bakewind.auth')).accessToken);
  const first = await stored();
  const claims = JSON.parse(Buffer.from(first.split('.')[1], 'base64url').toString());
  // Past the first token's expiry: the page must be on a newer one, its socket reconnected.
  await page.waitForTimeout(Math.max(0, claims.exp * 1000 - Date.now()) + 500);
  assert.notEqual(await stored(), first);
  await liveOpen(page);
  await page.getByRole('link', { name: 'Staff' }).click();
  await page.getByRole('cell', { name: owner.email }).waitFor();
  await context.close();
});

step('an order held by someone who vanished unlocks itself when the lock expires', async () => {
  const shortApi = env('BW_SHORT_API_URL');
  const login = async (email) => (await (await fetch(`${shortApi}/api/v1/auth/login`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ email, password }),
  })).json()).accessToken;
  // The staff member signs in first: on a busy machine that alone can outlast
  // the 4 s lock lifetime.
  const context = await newContext();
  const page = await context.newPage();
  await page.goto(`${env('BW_SHORT_SITE_URL')}/signin`);
  await page.getByLabel('Email').fill(staff.email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${env('BW_SHORT_ADMIN_URL')}/orders`);

  // The owner takes the lock of a new order from a script and renews it until
  // the page has shown the holder, then never again (a laptop that went to sleep).
  const ownerToken = await login(owner.email);
  const headers = { 'Content-Type': 'application/json', Authorization: `Bearer ${ownerToken}` };
  const created = await (await fetch(`${shortApi}/api/v1/orders`, {
    method: 'POST', headers, body: JSON.stringify({ customerName: 'Night shift', items: [{ product: 'Baguette', quantity: 30, unitPriceCents: 220 }] }),
  })).json();
  const lockUrl = `${shortApi}/api/v1/orders/${created.id}/lock`;
  const body = JSON.stringify({ sessionId: 'sleeping-laptop' });
  const res = await fetch(lockUrl, { method: 'POST', headers, body });
  const text = await res.text();
  assert.equal(res.status, 201, text);
  let lock = JSON.parse(text);
  let awake = true;
  const renewing = (async () => {
    while (awake) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      if (!awake) break;
      const renewed = await fetch(lockUrl, { method: 'PUT', headers, body });
      const renewedText = await renewed.text();
      assert.equal(renewed.status, 200, renewedText);
      lock = JSON.parse(renewedText);
    }
  })();

  try {
    await page.goto(`${env('BW_SHORT_ADMIN_URL')}/orders/${created.id}`);
    await page.getByText(`Being edited by ${owner.name} since`).waitFor();
    assert.deepEqual(await enabledControlsOf(page.locator('form.editor')), []);
  } finally {
    awake = false;
    await renewing;
  }
  // Editable again within 1 s of the expiry (the page does not wait for the
  // sweeper's order.unlocked, which API.md allows 2 s).
  const wait = Date.parse(lock.expiresAt) - Date.now() + 1000;
  await page.getByText('You are editing this order').waitFor({ timeout: Math.max(wait, 100) });
  assert.equal(await page.getByRole('button', { name: 'Save' }).isEnabled(), true);
  // Held from this page now, renewed often enough to outlive the 4 s lifetime.
  await page.waitForTimeout(5000);
  await page.getByText('You are editing this order').waitFor({ timeout: 100 });
  await page.getByLabel('Notes').fill('Taken over after the lock expired.');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByText(/^Saved at/).waitFor();
  await page.goto(`${env('BW_SHORT_ADMIN_URL')}/orders`); // releases
  await context.close();
});

step('signing out in one tab signs out the other', async () => {
  const first = staffContext.pages()[0];
  const second = await staffContext.newPage();
  await second.goto(`${ADMIN}/orders`);
  await second.getByRole('heading', { name: 'Orders' }).waitFor();
  await liveOpen(second);
  await first.getByRole('button', { name: 'Sign out' }).click();
  await first.getByRole('heading', { name: 'You are signed out' }).waitFor();
  await second.getByRole('heading', { name: 'You are signed out' }).waitFor({ timeout: 5000 });
  await shot(second, '14-admin-signed-out');
  // The editor's lock went with the sign-out.
  const lock = await apiCall('GET', `/api/v1/orders/${orderId}/lock`, null,
    (await apiCall('POST', '/api/v1/auth/login', { email: admin.email, password })).accessToken);
  assert.equal(lock.locked, false);
});

expectNoPageErrors();
