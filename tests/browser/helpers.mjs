// What the browser suites share (web.test.mjs, pages.test.mjs): the
// addresses browser_test.cpp passes, one headless Chromium, contexts that
// record page errors, screenshots, API calls and the ways in.
//   BW_API_URL, BW_SITE_URL, BW_ADMIN_URL  the three origins
//   BW_SHORT_*_URL                         the same of an instance whose access tokens live 8 s, locks 4 s
//   BW_WEB_DIR                             web/ (where npm put playwright-core and axe-core)
//   BW_SCREENSHOTS                         folder for the screenshots (git-ignored)
//   BW_CHROMIUM                            the browser (default /usr/bin/chromium)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import dns from 'node:dns';
import { createRequire } from 'node:module';
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

// The service listens on 127.0.0.1 (HOST) and the URLs say "localhost",
// which Debian resolves to ::1 first. Node 20 tries both addresses; Node 18
// (Debian 12's) only the first, so it is told to take IPv4 first.
dns.setDefaultResultOrder('ipv4first');

export const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set (run through the browser_tests ctest test)`);
  return value;
};
export const API = env('BW_API_URL');
export const SITE = env('BW_SITE_URL');
export const ADMIN = env('BW_ADMIN_URL');
export const SHOTS = env('BW_SCREENSHOTS');
const require = createRequire(path.join(env('BW_WEB_DIR'), 'package.json'));
const { chromium } = require('playwright-core');
// Evaluated in the page through the DevTools protocol, which the pages'
// Content-Security-Policy (script-src 'self') does not apply to, unlike a
// script tag.
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

export const password = 'browser-test-password';
/** A name unique to this run, for emails. */
export const run = Date.now().toString(36);

let browser;
export const contexts = [];
export const problems = []; // console errors and page errors, checked at the end

mkdirSync(SHOTS, { recursive: true });

/** A full-page screenshot of `page` as SHOTS/name.png. */
export async function shot(page, name) {
  await page.evaluate(() => window.scrollTo(0, 0)); // the sticky header stays on top
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
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

/** A new browser profile (its own storage), closed at the end. */
export async function newContext(viewport = { width: 1280, height: 800 }) {
  const context = await browser.newContext({ viewport });
  context.setDefaultTimeout(10_000);
  context.on('page', watch);
  contexts.push(context);
  return context;
}

/** Calls the API as a script would; fails the test on a non-2xx answer. */
export async function apiCall(method, route, body, token, base = API) {
  const headers = { 'Content-Type': 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  const res = await fetch(base + route, { method, headers, body: body ? JSON.stringify(body) : undefined });
  const text = await res.text();
  assert.ok(res.ok, `${method} ${route}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

/** Signs in on the website; ends on the dashboard's orders page. */
export async function signIn(page, who) {
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

/** A test that leaves screenshots of every page when it fails. */
export function step(name, fn) {
  test(name, async () => {
    try {
      await fn();
    } catch (error) {
      await snapAll(name);
      throw error;
    }
  });
}

/** Resolves once the dashboard's WebSocket is open. */
export const liveOpen = (page) => page.locator('html[data-live="open"]').waitFor();

/**
 * The accessibility violations axe-core finds on the page as it is now
 * (WCAG 2.1 A and AA rules) that are serious or critical, as readable lines.
 */
export async function seriousViolations(page) {
  if (!(await page.evaluate(() => Boolean(window.axe)))) await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const result = await window.axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
      resultTypes: ['violations'],
    });
    return result.violations.map((v) => ({
      id: v.id, impact: v.impact, help: v.help, targets: v.nodes.slice(0, 3).map((n) => n.target.join(' ')),
    }));
  });
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.impact} ${v.id}: ${v.help} (${v.targets.join('; ')})`);
}

/** Starts Chromium before the first test; closes everything after the last. */
export function useBrowser() {
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
}

/** The last test of a suite: no page logged an error or threw. */
export function expectNoPageErrors() {
  test('no page logged an error', () => {
    assert.deepEqual(problems, []);
  });
}
