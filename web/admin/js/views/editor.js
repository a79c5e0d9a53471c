// /orders/ID: the order editor and its edit lock (API.md "Order locks").
// Opening it acquires the lock with this tab's session id; while held it is
// renewed every minute, and released when the view is left, the tab closed
// (fetch keepalive) or the user signs out. Held by someone else: read-only,
// "Being edited by NAME since TIME", and the page takes the lock itself as
// soon as the holder's release or expiry arrives on the WebSocket. A lock
// lost while editing (renewal refused, forced, expired) is shown at once and
// saving is refused; PATCH carries X-Lock-Session, so the API refuses too.
import { api, config, readTokens } from '../api.js';
import * as live from '../live.js';
import { h, icon, formatTime, statusBadge, lockNote, showError } from '../ui.js';
import { orderFields } from './order_form.js';

// Renew every minute, or three times per lifetime when locks are short (ORDER_LOCK_TTL).
function renewEvery(lock) {
  const lifetime = lock ? Date.parse(lock.expiresAt) - Date.parse(lock.acquiredAt) : NaN;
  return Number.isFinite(lifetime) && lifetime > 0 ? Math.min(60_000, Math.max(500, lifetime / 3)) : 60_000;
}

/** This tab's lock session id: kept across reloads of the tab, new per tab. */
function tabSession() {
  let id = sessionStorage.getItem('bakewind.lockSession');
  if (!id) {
    const bytes = crypto.getRandomValues(new Uint8Array(12));
    id = `tab-${[...bytes].map((b) => b.toString(16).padStart(2, '0')).join('')}`;
    sessionStorage.setItem('bakewind.lockSession', id);
  }
  return id;
}

export async function mountEditor(main, { params, user, navigate }) {
  const orderId = params[0];
  const sessionId = tabSession();
  const canForce = user.role === 'owner' || user.role === 'admin';
  let order = null;
  let state = 'loading'; // holding | locked | lost | gone
  let holder = null;
  let renewTimer = 0;
  let renewMs = 60_000;
  let closed = false;
  let expiryTimer = 0;
  let unlocks = 0; // order.unlocked events of this order so far (see acquire)

  const title = h('h1', {});
  const meta = h('p', { class: 'meta' });
  const banner = h('div', { class: 'lock-banner', role: 'status', 'aria-live': 'polite' });
  const errors = h('div');
  const saved = h('p', { class: 'status-line', role: 'status' });
  const save = h('button', { class: 'button primary', type: 'submit' }, 'Save');
  const fieldsSlot = h('div');
  let fields = null;
  const form = h('form', { class: 'card form-card editor', novalidate: true, 'aria-labelledby': 'order-title' },
    errors, fieldsSlot, h('div', { class: 'actions' }, save, saved));
  title.id = 'order-title';

  function showOrder(next) {
    order = next;
    document.title = `${order.customerName} · Orders · BakeWind`;
    title.textContent = `Order for ${order.customerName}`;
    meta.replaceChildren(statusBadge(order.status), ` Version ${order.version} · last changed ${formatTime(order.updatedAt)}`);
    fields = orderFields(order);
    fieldsSlot.replaceChildren(fields.element);
    fields.setReadOnly(state !== 'holding' && state !== 'lost');
  }

  function setState(next, detail = null) {
    state = next;
    clearInterval(renewTimer);
    if (state === 'holding') renewTimer = setInterval(renew, renewMs);
    // A lost lock leaves the fields as they were, so nothing typed is lost
    // from view (it can be copied); Save is off and the banner says why.
    if (fields && state !== 'lost') fields.setReadOnly(state !== 'holding');
    // Only the holder can save: read-only means no enabled control that
    // would change the order.
    save.disabled = state !== 'holding';
    // "Saved at" speaks of this tab's own edits: stale once it cannot save.
    if (state !== 'holding') saved.textContent = '';
    save.title = state === 'holding' ? '' : 'Saving needs the edit lock';
    form.classList.toggle('read-only', state !== 'holding');
    banner.className = `lock-banner ${state}`;
    if (state === 'holding') {
      holder = null;
      banner.setAttribute('role', 'status');
      banner.replaceChildren(icon('pencil'),
        h('span', {}, 'You are editing this order. Others see it as locked until you leave.'));
    } else if (state === 'locked') {
      holder = detail;
      banner.setAttribute('role', 'status');
      const mine = holder.userId === user.id;
      const force = canForce ? h('button', { type: 'button', class: 'button small danger', onclick: forceRelease }, 'Force release') : null;
      banner.replaceChildren(h('span', {}, lockNote(holder, { since: true }),
        h('span', { class: 'banner-detail' }, mine ? ' (you, in another tab or window).' : '.',
          ' It opens for editing here as soon as they finish.')), ...(force ? [force] : []));
    } else if (state === 'lost') {
      banner.setAttribute('role', 'alert');
      banner.replaceChildren(icon('warning'),
        h('span', {}, h('strong', {}, 'Your edit lock was lost. '), detail, ' Changes you have not saved cannot be saved.'),
        h('button', { type: 'button', class: 'button small', onclick: reopen }, 'Edit again'));
    } else if (state === 'gone') {
      banner.setAttribute('role', 'alert');
      banner.replaceChildren(detail);
    }
    watchExpiry();
  }

  // Read-only while someone else holds the lock: its expiry is also a way
  // back to editing, even when the expiry event is late (the sweeper runs
  // every few seconds) or lost with a reconnect. A renewal moves the time
  // (order.lock_renewed -> setState('locked', e)).
  function watchExpiry() {
    clearTimeout(expiryTimer);
    if (state !== 'locked' || !holder || !holder.expiresAt) return;
    const wait = Math.max(0, Date.parse(holder.expiresAt) - Date.now()) + 200;
    expiryTimer = setTimeout(() => {
      if (!closed && state === 'locked') acquire().catch((error) => showError(errors, error));
    }, wait);
  }

  // Shows the order as stored. `onlyIfLocked`: a refresh of a read-only view,
  // dropped if the lock came to us meanwhile (the user may be typing).
  async function load({ onlyIfLocked = false } = {}) {
    const fresh = await api('GET', `/api/v1/orders/${orderId}`);
    if (closed || (onlyIfLocked && state !== 'locked')) return;
    showOrder(fresh);
  }

  async function acquire() {
    const unlocksBefore = unlocks;
    const r = await api('POST', `/api/v1/orders/${orderId}/lock`, { body: { sessionId }, expect: [200, 201, 404, 409] });
    if (closed) return;
    if (r.status === 200 || r.status === 201) {
      // The latest version first, while still read-only: nothing typed can be replaced.
      if (state === 'locked' || state === 'lost') await load();
      if (closed) return;
      renewMs = renewEvery(r.body);
      setState('holding');
    } else if (r.status === 409) {
      setState('locked', r.body.lock);
      // The holder let go while we asked: its event came before this view
      // was 'locked', so nothing else would try again (until its expiry).
      if (unlocks !== unlocksBefore) await acquire();
    } else {
      setState('gone', 'This order no longer exists.');
    }
  }

  async function renew() {
    try {
      const r = await api('PUT', `/api/v1/orders/${orderId}/lock`, { body: { sessionId }, expect: [200, 404, 409] });
      if (closed || state !== 'holding') return;
      if (r.status === 409) setState('lost', `${r.body.lock ? r.body.lock.userName : 'Someone else'} is editing it now.`);
      else if (r.status === 404) setState('lost', 'It expired or was released.');
    } catch {
      // Offline for now: the next renewal tries again (the lock lives 300 s).
    }
  }

  async function reopen() {
    showError(errors, null);
    try {
      await load();
      await acquire();
    } catch (error) {
      showError(errors, error);
    }
  }

  async function forceRelease() {
    if (!holder) return;
    const q = new URLSearchParams({ sessionId: holder.sessionId, force: 'true' });
    try {
      await api('DELETE', `/api/v1/orders/${orderId}/lock?${q}`, { expect: [204, 404] });
      await acquire();
    } catch (error) {
      showError(errors, error);
    }
  }

  // Release on tab close: the page is going away, so only a keepalive fetch gets out.
  function releaseOnExit() {
    const tokens = readTokens();
    if (state !== 'holding' || !tokens) return;
    state = 'released';
    fetch(`${config.apiUrl}/api/v1/orders/${orderId}/lock?sessionId=${encodeURIComponent(sessionId)}`, {
      method: 'DELETE', keepalive: true, headers: { Authorization: `Bearer ${tokens.accessToken}` },
    }).catch(() => {});
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    saved.textContent = '';
    if (state !== 'holding') {
      const why = state === 'locked'
        ? `${holder.userName} is editing this order: you can save once they have finished.`
        : 'You no longer hold the edit lock on this order, so your changes were not saved. Use "Edit again" to reload it.';
      showError(errors, `Not saved. ${why}`);
      return;
    }
    let body;
    try {
      body = fields.read();
    } catch (error) {
      showError(errors, error);
      return;
    }
    save.disabled = true;
    try {
      const r = await api('PATCH', `/api/v1/orders/${orderId}`, {
        body, headers: { 'X-Lock-Session': sessionId }, expect: [200, 409],
      });
      if (r.status === 409) {
        setState('lost', r.body.lock ? `${r.body.lock.userName} is editing it now.` : 'It expired or was released.');
        showError(errors, 'Not saved: you no longer hold the edit lock on this order.');
      } else {
        showError(errors, null);
        showOrder(r.body);
        saved.textContent = `Saved at ${formatTime(r.body.updatedAt)}.`;
      }
    } catch (error) {
      showError(errors, error);
    } finally {
      save.disabled = state !== 'holding';
    }
  });

  const mine = (e) => e.orderId === orderId;
  const off = [
    live.on('order.locked', (e) => onLocked(e)),
    live.on('order.lock_renewed', (e) => onLocked(e)),
    live.on('order.unlocked', (e) => {
      if (!mine(e) || closed) return;
      unlocks += 1;
      if (state === 'locked') acquire().catch((error) => showError(errors, error));
      else if (state === 'holding' && e.reason === 'released' && e.userId === user.id) {
        // Our own release from before a reload of this tab arrived late: take it back.
        acquire().catch((error) => showError(errors, error));
      } else if (state === 'holding' && e.reason === 'forced') setState('lost', 'An owner or admin released it.');
      else if (state === 'holding' && e.reason === 'expired') setState('lost', 'It expired.');
      else if (e.reason === 'deleted') setState('gone', 'This order was deleted.');
    }),
    live.on('order.updated', (e) => {
      if (mine(e) && state === 'locked' && !closed) load({ onlyIfLocked: true }).catch(() => {});
    }),
    live.on('open', (e) => {
      if (!e.resumed || closed) return;
      if (state === 'locked') acquire().catch(() => {});
      else if (state === 'holding') renew();
    }),
  ];
  function onLocked(e) {
    if (!mine(e) || closed || e.sessionId === sessionId) return;
    if (state === 'holding') setState('lost', `${e.userName} is editing it now.`);
    else if (state === 'locked') setState('locked', e);
  }
  window.addEventListener('pagehide', releaseOnExit);

  main.replaceChildren(
    h('div', { class: 'page-head' }, h('div', {},
      h('a', { class: 'back', href: '/orders', 'data-route': true }, '← Orders'), title, meta)),
    banner, form);
  setState('loading');
  banner.replaceChildren('Opening the order…');
  try {
    await load();
    await acquire();
  } catch (error) {
    if (error.status === 404) setState('gone', 'This order does not exist, or it belongs to another bakery.');
    else showError(errors, error);
  }

  return async () => {
    closed = true;
    off.forEach((fn) => fn());
    window.removeEventListener('pagehide', releaseOnExit);
    clearInterval(renewTimer);
    clearTimeout(expiryTimer);
    if (state === 'holding') {
      state = 'released';
      await api('DELETE', `/api/v1/orders/${orderId}/lock?sessionId=${encodeURIComponent(sessionId)}`, { expect: [204, 404] })
        .catch(() => {});
    }
  };
}
