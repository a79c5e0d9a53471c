// /orders/new: POST /orders, then straight into the editor of the new order.
import { api } from '../api.js';
import { h, showError } from '../ui.js';
import { orderFields } from './order_form.js';

export async function mountNewOrder(main, { navigate }) {
  document.title = 'New order · BakeWind';
  const fields = orderFields(null);
  const errors = h('div');
  const submit = h('button', { class: 'button primary', type: 'submit' }, 'Create order');
  const form = h('form', { class: 'card form-card', novalidate: true, 'aria-labelledby': 'new-order-title' },
    errors, fields.element,
    h('div', { class: 'actions' }, submit, h('a', { class: 'button', href: '/orders', 'data-route': true }, 'Cancel')));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    let body;
    try {
      body = fields.read();
    } catch (error) {
      showError(errors, error);
      return;
    }
    if (body.dueAt === null) delete body.dueAt;
    submit.disabled = true;
    try {
      const order = await api('POST', '/api/v1/orders', { body });
      await navigate(`/orders/${order.id}`, { replace: true });
    } catch (error) {
      showError(errors, error);
      submit.disabled = false;
    }
  });
  main.replaceChildren(
    h('div', { class: 'page-head' }, h('div', {},
      h('a', { class: 'back', href: '/orders', 'data-route': true }, '← Orders'),
      h('h1', { id: 'new-order-title' }, 'New order'))),
    form);
  form.querySelector('input').focus();
  return null;
}
