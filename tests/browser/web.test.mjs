// Browser tests of the two web apps (issue 8): playwright-core driving
// Debian's chromium, headless, against a real `bakewind serve` with real
// Redis and PostgreSQL. Started by browser_test.cpp, which passes:
//   BW_API_URL, BW_SITE_URL, BW_ADMIN_URL  the three origins
//   BW_SHORT_*_URL                         the same of an instance whose access tokens live 8 s, locks 4 s
//   BW_WEB_DIR                             web/ (where npm put playwright-core)
//   BW_SCREENSHOTS                         folder for the screenshots (git-ignored)
//   BW_CHROMIUM                            the browser (default /usr/bin/chromium)
// The tests run in order and share the bakery they create.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import dns from 'node:dns';
import { createRequire } from 'node:module';
import { mkdirSync } from 'node:fs';
import path from 'node:path';

// The service listens on 127.0.0.1 (HOST) and the URLs say "localhost",
// which Debian resolves to ::1 first. Node 20 tries both addresses; Node 18
// (Debian 12's) only the first, so it is told to take IPv4 first.
dns.setDefaultResultOrder('ipv4first');

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set (run through the browser_tests ctest test)`);
  return value;
};
const API = env('BW_API_URL');
const SITE = env('BW_SITE_URL');
const ADMIN = env('BW_ADMIN_URL');
const SHOTS = env('BW_SCREENSHOTS');
const require = createRequire(path.join(env('BW_WEB_DIR'), 'package.json'));
const { chromium } = require('playwright-core');

const run = Date.now().toString(36);
const password = 'browser-test-password';
const owner = { name: 'Olivia Baker', bakery: 'Crumb & Co', email: `olivia-${run}@example.test` };
const staff = { name: 'Sam Staff', email: `sam-${run}@example.test` };
const admin = { name: 'Ada Admin', email: `ada-${run}@example.test` };

let browser;
const contexts = [];
const problems = []; // console errors and page errors, checked at the end
let callbackUrl = '';
let orderId = '';
let staffContext; // the staff member's browser, from the two-user test on

mkdirSync(SHOTS, { recursive: true });
async function shot(page, name) {
  await page.evaluate(() => window.scrollTo(0, 0)); // the sticky header stays on top
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}

async function newContext(viewport = { width: 1280, height: 800 }) {
  const context = await browser.newContext({ viewport });
  context.setDefaultTimeout(10_000);
  context.on('page', watch);
  contexts.push(context);
  return context;
}

function watch(page) {
  page.on('pageerror', (error) => problems.push(`${page.url()}: ${error.message}`));
  page.on('console', (message) => {
    // The browser logs every non-2xx answer; those are expected here (409, 401).
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) {
      problems.push(`${page.url()}: ${message.text()}`);
    }
  });
}

async function apiCall(method, route, body, token) {
  const headers = { 'Content-Type': 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  const res = await fetch(API + route, { method, headers, body: body ? JSON.stringify(body) : undefined });
  const text = await res.text();
  assert.ok(res.ok, `${method} ${route}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

// Signs in on the website; ends on the dashboard's orders page.
async function signIn(page, who) {
  await page.goto(`${SITE}/signin`);
  await page.getByLabel('Email').fill(who.email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${ADMIN}/orders`);
  await page.getByRole('heading', { name: 'Orders' }).waitFor();
}

// Screenshots of every open page, named after the failing test.
async function snapAll(name) {
  const slug = name.replace(/[^a-z0-9]+/gi, '-').slice(0, 40);
  let n = 0;
  for (const context of contexts) {
    for (const page of context.pages()) {
      n += 1;
      await page.screenshot({ path: path.join(SHOTS, `failed-${slug}-${n}.png`), fullPage: true }).catch(() => {});
    }
  }
}

// A test that leaves screenshots of every page when it fails.
function step(name, fn) {
  test(name, async () => {
    try {
      await fn();
    } catch (error) {
      await snapAll(name);
      throw error;
    }
  });
}

const liveOpen = (page) => page.locator('html[data-live="open"]').waitFor();

before(async () => {
  browser = await chromium.launch({
    executablePath: process.env.BW_CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-dev-shm-usage'],
  });
});

after(async () => {
  for (const context of contexts) await context.close().catch(() => {});
  if (browser) await browser.close();
});

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
  const replay = await context.newPage();
  await replay.goto(callbackUrl);
  await replay.getByRole('heading', { name: 'This sign-in link has expired' }).waitFor();
  const back = replay.getByRole('link', { name: 'Back to sign in' });
  assert.equal(await back.getAttribute('href'), `${SITE}/signin`);
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
  assert.equal(await staffPage.getByLabel('Customer').isEditable(), false, 'read-only while someone else edits');
  await staffPage.getByRole('button', { name: 'Save' }).click();
  await staffPage.getByRole('alert').filter({ hasText: `Not saved. ${owner.name} is editing this order` }).waitFor();
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
  await staffPage.getByLabel('Notes').fill('An edit after the lock was lost');
  await staffPage.getByRole('button', { name: 'Save' }).click();
  await staffPage.getByRole('alert').filter({ hasText: 'Not saved. You no longer hold the edit lock' }).waitFor();
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
  // The owner takes the lock of a new order from a script and never renews it
  // (a laptop that went to sleep).
  const ownerToken = await login(owner.email);
  const headers = { 'Content-Type': 'application/json', Authorization: `Bearer ${ownerToken}` };
  const created = await (await fetch(`${shortApi}/api/v1/orders`, {
    method: 'POST', headers, body: JSON.stringify({ customerName: 'Night shift', items: [{ product: 'Baguette', quantity: 30, unitPriceCents: 220 }] }),
  })).json();
  const res = await fetch(`${shortApi}/api/v1/orders/${created.id}/lock`, {
    method: 'POST', headers, body: JSON.stringify({ sessionId: 'sleeping-laptop' }),
  });
  const text = await res.text();
  assert.equal(res.status, 201, text);
  const lock = JSON.parse(text);

  const context = await newContext();
  const page = await context.newPage();
  await page.goto(`${env('BW_SHORT_SITE_URL')}/signin`);
  await page.getByLabel('Email').fill(staff.email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${env('BW_SHORT_ADMIN_URL')}/orders`);
  await page.goto(`${env('BW_SHORT_ADMIN_URL')}/orders/${created.id}`);
  await page.getByText(`Being edited by ${owner.name} since`).waitFor();
  // API.md: order.unlocked (expired) comes at most 2 s after expiresAt.
  const wait = Date.parse(lock.expiresAt) - Date.now() + 3000;
  await page.getByText('You are editing this order').waitFor({ timeout: Math.max(wait, 1000) });
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

test('no page logged an error', () => {
  assert.deepEqual(problems, []);
});
