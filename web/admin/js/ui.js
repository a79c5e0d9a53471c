// Small DOM helpers shared by the views: element building, formatting and
// the message boxes every view uses for API errors.

/** Builds an element: h('button', {class: 'x', onclick: f}, 'text', child). */
export function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') node.addEventListener(key.slice(2), value);
    else if (key === 'class') node.className = value;
    else if (key === 'dataset') Object.assign(node.dataset, value);
    else if (value === true) node.setAttribute(key, '');
    else node.setAttribute(key, String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

const money = new Intl.NumberFormat(undefined, { style: 'currency', currency: 'EUR' });
/** 1250 -> "€12.50". */
export const formatMoney = (cents) => money.format(cents / 100);

/** An ISO timestamp as "14:03". */
export function formatTime(iso) {
  return new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

/** An ISO timestamp as "Tue 25 Nov, 14:03"; "—" for null. */
export function formatDateTime(iso) {
  if (!iso) return '—';
  return new Date(iso).toLocaleString([], { weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' });
}

export const statuses = [
  ['pending', 'Pending'],
  ['confirmed', 'Confirmed'],
  ['in_production', 'In production'],
  ['ready', 'Ready'],
  ['delivered', 'Delivered'],
  ['cancelled', 'Cancelled'],
];

/** The label of a status value. */
export const statusLabel = (value) => (statuses.find(([v]) => v === value) || [value, value])[1];

/** A status badge: text always, colour as a second signal only. */
export const statusBadge = (value) => h('span', { class: `badge status-${value}` }, statusLabel(value));

const svgNs = 'http://www.w3.org/2000/svg';
const iconPaths = {
  lock: 'M7 11V8a5 5 0 0 1 10 0v3h1a1 1 0 0 1 1 1v8a1 1 0 0 1-1 1H6a1 1 0 0 1-1-1v-8a1 1 0 0 1 1-1zm2 0h6V8a3 3 0 0 0-6 0z',
  pencil: 'M4 17.5V20h2.5L17.1 9.4l-2.5-2.5zM19.7 6.8a1 1 0 0 0 0-1.4l-1.1-1.1a1 1 0 0 0-1.4 0l-1.2 1.2 2.5 2.5z',
  warning: 'M12 3 1.5 21h21zm-1 6h2v6h-2zm0 8h2v2h-2z',
};

/** A decorative icon (lock, pencil, warning): inline SVG, so no font is needed. */
export function icon(name) {
  const svg = document.createElementNS(svgNs, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('class', `icon icon-${name}`);
  const path = document.createElementNS(svgNs, 'path');
  path.setAttribute('d', iconPaths[name]);
  path.setAttribute('fill', 'currentColor');
  path.setAttribute('fill-rule', 'evenodd');
  svg.append(path);
  return svg;
}

/** The lock signal of a row or an editor: an icon and the holder's name, never colour alone. */
export function lockNote(lock, { since = false } = {}) {
  const text = `Being edited by ${lock.userName}` + (since ? ` since ${formatTime(lock.acquiredAt)}` : '');
  return h('span', { class: 'lock-note' }, icon('lock'), text);
}

/** An error box (role=alert) with the message, or one item per message. */
export function errorBox(error) {
  const box = h('div', { class: 'alert error', role: 'alert' });
  const lines = error && error.messages && error.messages.length > 1 ? error.messages : null;
  if (lines) box.append(h('ul', {}, lines.map((m) => h('li', {}, m))));
  else box.append(String(error && error.message ? error.message : error));
  return box;
}

/** Replaces the content of `slot` with an error box, or clears it. */
export function showError(slot, error) {
  slot.replaceChildren(...(error ? [errorBox(error)] : []));
}

/** A <label> + control pair in a .field wrapper. */
export function field(labelText, control, hint) {
  if (!control.id) control.id = `f-${Math.random().toString(36).slice(2, 9)}`;
  return h('div', { class: 'field' }, h('label', { for: control.id }, labelText), control,
    hint ? h('p', { class: 'hint' }, hint) : null);
}
