// The fields of an order (customer, items, status, due time, notes), shared
// by the new-order page and the editor. read() gives the API's body fields;
// setReadOnly() is how the editor shows an order someone else is editing.
import { h, field, formatMoney, statuses } from '../ui.js';

// datetime-local wants local "YYYY-MM-DDTHH:MM".
function toLocalInput(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

// "12.5" -> 1250; NaN when it is not a price.
function centsOf(text) {
  const t = String(text).trim().replace(',', '.');
  if (!/^\d+(\.\d{1,2})?$/.test(t)) return NaN;
  return Math.round(Number(t) * 100);
}

/** Builds the form fields for `order` (null: a new order, without status). */
export function orderFields(order) {
  const customer = h('input', { name: 'customerName', required: true, maxlength: 200, value: order ? order.customerName : '' });
  const status = order ? h('select', { name: 'status' },
    statuses.map(([value, label]) => h('option', { value, selected: value === order.status }, label))) : null;
  const due = h('input', { name: 'dueAt', type: 'datetime-local', value: toLocalInput(order && order.dueAt) });
  const notes = h('textarea', { name: 'notes', rows: 3, maxlength: 2000 });
  notes.value = order ? order.notes || '' : '';
  const itemsBody = h('tbody');
  const total = h('output', { class: 'total' });
  const addItem = h('button', { type: 'button', class: 'button small' }, h('span', { 'aria-hidden': 'true' }, '+ '), 'Add item');
  let counter = 0;

  function updateTotal() {
    let cents = 0;
    for (const tr of itemsBody.rows) {
      const q = Number(tr.querySelector('[name="quantity"]').value);
      const p = centsOf(tr.querySelector('[name="price"]').value);
      if (Number.isFinite(q) && Number.isFinite(p)) cents += q * p;
    }
    total.textContent = formatMoney(cents);
  }

  function itemRow(item = { product: '', quantity: 1, unitPriceCents: 0 }) {
    counter += 1;
    const n = counter;
    const product = h('input', { name: 'product', 'aria-label': `Product ${n}`, required: true, maxlength: 200, value: item.product });
    const quantity = h('input', { name: 'quantity', 'aria-label': `Quantity ${n}`, type: 'number', min: 1, max: 10000, step: 1, value: item.quantity, class: 'qty' });
    const price = h('input', { name: 'price', 'aria-label': `Unit price ${n}`, inputmode: 'decimal', value: (item.unitPriceCents / 100).toFixed(2), class: 'price' });
    const remove = h('button', { type: 'button', class: 'button small ghost', 'aria-label': `Remove item ${n}` }, '✕');
    const tr = h('tr', {}, h('td', {}, product), h('td', {}, quantity), h('td', {}, price), h('td', {}, remove));
    remove.addEventListener('click', () => { tr.remove(); updateTotal(); });
    for (const input of [quantity, price]) input.addEventListener('input', updateTotal);
    return tr;
  }

  for (const item of order ? order.items : [undefined]) itemsBody.append(itemRow(item));
  addItem.addEventListener('click', () => {
    const tr = itemRow();
    itemsBody.append(tr);
    tr.querySelector('input').focus();
    updateTotal();
  });
  updateTotal();

  const element = h('div', { class: 'order-fields' },
    h('div', { class: status ? 'grid-2' : 'grid-2 no-status' },
      field('Customer', customer),
      status ? field('Status', status) : null,
      field('Due', due, 'Optional: when the customer collects or we deliver.')),
    h('fieldset', { class: 'items' },
      h('legend', {}, 'Items'),
      h('table', { class: 'items-table' },
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Product'), h('th', { scope: 'col' }, 'Quantity'),
          h('th', { scope: 'col' }, 'Unit price (€)'), h('th', {}, h('span', { class: 'visually-hidden' }, 'Remove')))),
        itemsBody),
      h('div', { class: 'items-foot' }, addItem, h('span', { class: 'total-line' }, 'Total ', total))),
    field('Notes', notes));

  /** The body fields, or throws an Error listing what is wrong. */
  function read() {
    const problems = [];
    const items = [...itemsBody.rows].map((tr, i) => {
      const product = tr.querySelector('[name="product"]').value.trim();
      const quantity = Number(tr.querySelector('[name="quantity"]').value);
      const unitPriceCents = centsOf(tr.querySelector('[name="price"]').value);
      if (!product) problems.push(`Item ${i + 1}: enter a product`);
      if (!Number.isInteger(quantity) || quantity < 1 || quantity > 10000) problems.push(`Item ${i + 1}: quantity must be a whole number from 1 to 10000`);
      if (!Number.isFinite(unitPriceCents)) problems.push(`Item ${i + 1}: unit price must be an amount like 12.50`);
      return { product, quantity, unitPriceCents };
    });
    if (!customer.value.trim()) problems.push('Enter the customer');
    if (!items.length) problems.push('Add at least one item');
    if (problems.length) {
      const error = new Error(problems.join('. '));
      error.messages = problems;
      throw error;
    }
    const body = { customerName: customer.value.trim(), items, notes: notes.value };
    body.dueAt = due.value ? new Date(due.value).toISOString() : null;
    if (status) body.status = status.value;
    return body;
  }

  function setReadOnly(readOnly) {
    for (const control of element.querySelectorAll('input, textarea')) control.readOnly = readOnly;
    for (const control of element.querySelectorAll('select, button')) control.disabled = readOnly;
    element.classList.toggle('read-only', readOnly);
  }

  return { element, read, setReadOnly };
}
