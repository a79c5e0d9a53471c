// /orders: newest first, a status filter and cursor pages (the filter and
// the page live in the address: ?status=&cursor=), and on every row who is
// editing it, kept live by the WebSocket's lock events (no polling).
import { api } from '../api.js';
import * as live from '../live.js';
import { h, formatMoney, formatDateTime, statuses, statusBadge, lockNote, showError } from '../ui.js';

const pageSize = 15;

export async function mountOrders(main, { navigate }) {
  document.title = 'Orders · BakeWind';
  const query = new URLSearchParams(window.location.search);
  const status = query.get('status') || '';
  const cursor = query.get('cursor') || '';
  // The cursors of the pages before this one ("0" for the first), so "Previous" works.
  const back = (query.get('back') || '').split(',').filter(Boolean);

  const filter = h('select', { id: 'status-filter', name: 'status' },
    h('option', { value: '' }, 'All statuses'),
    statuses.map(([value, label]) => h('option', { value, selected: value === status }, label)));
  filter.addEventListener('change', () => {
    const next = new URLSearchParams();
    if (filter.value) next.set('status', filter.value);
    navigate(`/orders${next.size ? `?${next}` : ''}`);
  });

  const errors = h('div');
  const tbody = h('tbody');
  const pager = h('nav', { class: 'pager', 'aria-label': 'Pages' });
  const rows = new Map(); // order id -> {order, lockCell}

  main.replaceChildren(
    h('div', { class: 'page-head' },
      h('h1', {}, 'Orders'),
      h('div', { class: 'toolbar' },
        h('div', { class: 'inline-field' }, h('label', { for: 'status-filter' }, 'Status'), filter),
        h('button', { type: 'button', class: 'button primary', onclick: () => navigate('/orders/new') },
          h('span', { 'aria-hidden': 'true' }, '+'), 'New order'))),
    errors,
    h('section', { class: 'card table-card', 'aria-label': 'Orders' },
      h('table', { class: 'data orders cards' },
        h('thead', {}, h('tr', {},
          h('th', { scope: 'col' }, 'Customer'),
          h('th', { scope: 'col' }, 'Due'),
          h('th', { scope: 'col', class: 'num hide-tablet' }, 'Items'),
          h('th', { scope: 'col', class: 'num' }, 'Total'),
          h('th', { scope: 'col' }, 'Status'),
          h('th', { scope: 'col' }, 'Editing'))),
        tbody)),
    pager);

  function setLock(id, lock) {
    const row = rows.get(id);
    if (!row) return;
    row.order.lock = lock;
    row.lockCell.replaceChildren(lock ? lockNote(lock) : h('span', { class: 'muted' }, 'Free'));
    row.tr.classList.toggle('is-locked', Boolean(lock));
  }

  function rowFor(order) {
    const lockCell = h('td', { class: 'lock-cell c-lock' });
    // The c-* classes place each cell in the one-card-per-order layout of a phone (admin.css).
    const tr = h('tr', { dataset: { orderId: order.id } },
      h('td', { class: 'c-customer' }, h('a', { href: `/orders/${order.id}`, 'data-route': true, class: 'row-link' }, order.customerName)),
      h('td', { class: 'c-due' }, formatDateTime(order.dueAt)),
      h('td', { class: 'num hide-tablet c-items' }, order.items.reduce((n, item) => n + item.quantity, 0)),
      h('td', { class: 'num c-total' }, formatMoney(order.totalCents)),
      h('td', { class: 'c-status' }, statusBadge(order.status)),
      lockCell);
    rows.set(order.id, { order, lockCell, tr });
    setLock(order.id, order.lock);
    return tr;
  }

  function pageLink(label, params, rel) {
    const q = new URLSearchParams();
    if (status) q.set('status', status);
    for (const [k, v] of Object.entries(params)) if (v && !(k === 'cursor' && v === '0')) q.set(k, v);
    return h('a', { class: 'button small', href: `/orders${q.size ? `?${q}` : ''}`, 'data-route': true, rel }, label);
  }

  async function load() {
    const q = new URLSearchParams({ limit: String(pageSize) });
    if (status) q.set('status', status);
    if (cursor) q.set('cursor', cursor);
    try {
      const page = await api('GET', `/api/v1/orders?${q}`);
      rows.clear();
      tbody.replaceChildren(...page.items.map(rowFor));
      if (!page.items.length) {
        tbody.replaceChildren(h('tr', {}, h('td', { colspan: 6, class: 'empty' },
          status ? 'No orders with this status.' : 'No orders yet. Create the first one with New order.')));
      }
      const prev = back.length ? pageLink('← Previous', { cursor: back[back.length - 1], back: back.slice(0, -1).join(',') }, 'prev') : null;
      const next = page.nextCursor ? pageLink('Next →', { cursor: page.nextCursor, back: [...back, cursor || '0'].join(',') }, 'next') : null;
      pager.replaceChildren(...(prev || next ? [prev || h('span'), h('span', { class: 'muted' }, `Page ${back.length + 1}`), next || h('span')] : []));
      showError(errors, null);
    } catch (error) {
      showError(errors, error);
    }
  }

  // Lock state of every shown row, after a reconnect (events may have been missed).
  async function resync() {
    try {
      const { items } = await api('GET', '/api/v1/locks');
      const held = new Map(items.map((lock) => [lock.orderId, lock]));
      for (const id of rows.keys()) setLock(id, held.get(id) || null);
    } catch { /* the next event or reconnect tries again */ }
  }

  const refreshRow = async (id) => {
    const row = rows.get(id);
    if (!row) return;
    try {
      const order = await api('GET', `/api/v1/orders/${id}`);
      const tr = rowFor(order);
      row.tr.replaceWith(tr);
    } catch { /* deleted or gone: leave it until the next load */ }
  };

  const off = [
    live.on('order.locked', (e) => setLock(e.orderId, e)),
    live.on('order.lock_renewed', (e) => setLock(e.orderId, e)),
    live.on('order.unlocked', (e) => setLock(e.orderId, null)),
    live.on('order.updated', (e) => refreshRow(e.orderId)),
    live.on('open', (e) => { if (e.resumed) resync(); }),
  ];
  await load();
  return () => off.forEach((fn) => fn());
}
