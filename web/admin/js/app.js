// The dashboard shell: routes by path (history API; the server answers
// index.html for every app path), the header, the signed-in user, sign-out.
// A view is mount(main, ctx) -> cleanup; the cleanup runs (and is awaited:
// the order editor releases its lock there) before the next view mounts.
import { api, config, readTokens, onSignedOut, logout, scheduleRefresh } from './api.js';
import * as live from './live.js';
import { h } from './ui.js';
import { mountCallback } from './views/callback.js';
import { mountOrders } from './views/orders.js';
import { mountNewOrder } from './views/new_order.js';
import { mountEditor } from './views/editor.js';
import { mountStaff } from './views/staff.js';

const main = document.getElementById('main');
const topbar = document.getElementById('topbar');
let cleanup = null;
let user = null;
let navigation = Promise.resolve();
let ended = false;

const routes = [
  [/^\/auth\/callback$/, mountCallback, { public: true }],
  [/^\/orders$/, mountOrders, { section: 'orders' }],
  [/^\/orders\/new$/, mountNewOrder, { section: 'orders' }],
  [/^\/orders\/([^/]+)$/, mountEditor, { section: 'orders' }],
  [/^\/staff$/, mountStaff, { section: 'staff' }],
];

/** Goes to `path` inside the app (replace: no new history entry). */
export function navigate(path, { replace = false } = {}) {
  if (replace) window.history.replaceState(null, '', path);
  else window.history.pushState(null, '', path);
  return render();
}

async function unmount() {
  const done = cleanup;
  cleanup = null;
  if (done) {
    try { await done(); } catch (error) { console.error(error); }
  }
}

function showSignedOut(message) {
  ended = true;
  live.disconnect();
  topbar.hidden = true;
  user = null;
  document.title = 'Signed out · BakeWind';
  const signIn = new URL('/signin', config.siteUrl).toString();
  main.replaceChildren(h('section', { class: 'card narrow center', 'aria-labelledby': 'signed-out-title' },
    h('img', { class: 'brand-mark', src: '/favicon.svg', alt: '', width: 44, height: 44 }),
    h('h1', { id: 'signed-out-title' }, 'You are signed out'),
    h('p', {}, message),
    h('a', { class: 'button primary', href: signIn }, 'Sign in again')));
}

async function loadUser() {
  if (user) return user;
  user = await api('GET', '/api/v1/auth/me');
  document.getElementById('who').replaceChildren(
    h('span', { class: 'who-name' }, user.name),
    h('span', { class: 'role' }, user.role));
  document.getElementById('nav-staff').hidden = !(user.role === 'owner' || user.role === 'admin');
  return user;
}

async function renderNow() {
  await unmount();
  const path = window.location.pathname.replace(/\/+$/, '') || '/';
  if (path === '/') {
    // In place, not through navigate(): that queues a render behind this
    // one, which would wait for it forever ("Loading…" at the dashboard's
    // own address).
    window.history.replaceState(null, '', `/orders${window.location.search}${window.location.hash}`);
    return renderNow();
  }
  const match = routes.find(([re]) => re.test(path));
  if (match && match[2].public) {
    topbar.hidden = true;
    cleanup = await match[1](main, { params: path.match(match[0]).slice(1), navigate, start: startSession });
    return undefined;
  }
  if (!readTokens()) {
    showSignedOut('Sign in on the BakeWind website to open your dashboard.');
    return undefined;
  }
  ended = false;
  try {
    await loadUser();
  } catch (error) {
    if (!ended) main.replaceChildren(h('div', { class: 'alert error', role: 'alert' }, error.message));
    return undefined;
  }
  topbar.hidden = false;
  live.connect();
  for (const link of document.querySelectorAll('#main-nav a')) {
    if (match && link.dataset.section === match[2].section) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  if (!match) {
    main.replaceChildren(h('section', { class: 'card narrow' }, h('h1', {}, 'Page not found'),
      h('p', {}, 'There is nothing at this address. ', h('a', { href: '/orders', 'data-route': true }, 'Go to the orders'), '.')));
    return undefined;
  }
  cleanup = await match[1](main, { params: path.match(match[0]).slice(1), user, navigate });
  return undefined;
}

/** Renders the view of the current address, after the previous one is gone. */
export function render() {
  navigation = navigation.then(renderNow, renderNow);
  return navigation;
}

// Called by the callback view once the tokens are stored.
async function startSession() {
  user = null;
  scheduleRefresh();
  await navigate('/orders', { replace: true });
}

async function signOut() {
  const button = document.getElementById('sign-out');
  button.disabled = true;
  await unmount();
  live.disconnect();
  await logout();
  button.disabled = false;
  showSignedOut('You have signed out of BakeWind on this browser.');
}

onSignedOut((reason) => {
  if (ended) return;
  unmount();
  showSignedOut(reason);
});

document.getElementById('sign-out').addEventListener('click', signOut);
document.addEventListener('click', (event) => {
  const link = event.target.closest('a[data-route]');
  if (!link || event.defaultPrevented || event.metaKey || event.ctrlKey || event.shiftKey || event.button !== 0) return;
  event.preventDefault();
  if (link.pathname + link.search !== window.location.pathname + window.location.search) navigate(link.pathname + link.search);
});
window.addEventListener('popstate', () => render());
scheduleRefresh();
render();
