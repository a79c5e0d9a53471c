// /staff: the bakery's people; owners and admins add staff (POST /users).
import { api } from '../api.js';
import { h, field, showError } from '../ui.js';

const roleLabel = { owner: 'Owner', admin: 'Admin', staff: 'Staff' };

export async function mountStaff(main, { user }) {
  document.title = 'Staff · BakeWind';
  const canManage = user.role === 'owner' || user.role === 'admin';
  const errors = h('div');
  const tbody = h('tbody');
  const table = h('table', { class: 'data staff cards' },
    h('caption', { class: 'visually-hidden' }, 'Staff of your bakery'),
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Name'), h('th', { scope: 'col' }, 'Email'), h('th', { scope: 'col' }, 'Role'))),
    tbody);

  async function load() {
    try {
      const { items } = await api('GET', '/api/v1/users');
      // The c-* classes place each cell in the one-card-per-person layout of a phone (admin.css).
      tbody.replaceChildren(...items.map((u) => h('tr', {},
        h('td', { class: 'c-name' }, u.name, u.id === user.id ? h('span', { class: 'you' }, ' (you)') : null),
        h('td', { class: 'c-email' }, u.email),
        h('td', { class: 'c-role' }, h('span', { class: `badge role-${u.role}` }, roleLabel[u.role] || u.role)))));
      showError(errors, null);
    } catch (error) {
      showError(errors, error);
    }
  }

  const name = h('input', { name: 'name', required: true, maxlength: 100, autocomplete: 'off' });
  const email = h('input', { name: 'email', type: 'email', required: true, autocomplete: 'off' });
  const password = h('input', { name: 'password', type: 'password', required: true, minlength: 8, maxlength: 128, autocomplete: 'new-password' });
  const role = h('select', { name: 'role' }, h('option', { value: 'staff' }, 'Staff'), h('option', { value: 'admin' }, 'Admin'));
  const formErrors = h('div');
  const done = h('p', { class: 'status-line', role: 'status' });
  const submit = h('button', { class: 'button primary', type: 'submit' }, 'Add staff member');
  const form = h('form', { class: 'card form-card', novalidate: true, 'aria-labelledby': 'add-staff-title' },
    h('h2', { id: 'add-staff-title' }, 'Add a team member'),
    formErrors,
    field('Name', name),
    field('Email', email),
    field('Password', password, 'At least 8 characters. Share it with them in person.'),
    field('Role', role, 'Admins can also add staff and force-release locks.'),
    h('div', { class: 'actions' }, submit),
    done);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    done.textContent = '';
    submit.disabled = true;
    try {
      const created = await api('POST', '/api/v1/users', {
        body: { name: name.value.trim(), email: email.value.trim(), password: password.value, role: role.value },
      });
      showError(formErrors, null);
      form.reset();
      done.textContent = `${created.name} can now sign in as ${created.email}.`;
      await load();
    } catch (error) {
      showError(formErrors, error);
    } finally {
      submit.disabled = false;
    }
  });

  main.replaceChildren(h('div', { class: 'page-head' }, h('h1', {}, 'Staff')), errors,
    h('div', { class: canManage ? 'split' : '' },
      h('section', { class: 'card table-card', 'aria-label': 'Staff list' }, table),
      canManage ? form : h('p', { class: 'muted' }, 'Only owners and admins can add staff.')));
  await load();
  return null;
}
