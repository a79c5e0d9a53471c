// The public website: landing page, bakery registration and sign-in. After
// either, it opens a one-time transfer session (API.md "Auth") and sends the
// browser to the dashboard with only that session's id in the URL; the
// tokens themselves never leave this page except in request bodies.
import config from '/config.js';

const views = { '/': 'view-home', '/signup': 'view-signup', '/signin': 'view-signin' };

/** An API failure with the text to show the user. */
class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

// Readable text for any API answer that is not a success.
async function errorFrom(res) {
  let body = null;
  try { body = await res.json(); } catch { /* not JSON */ }
  if (res.status === 429) {
    const wait = Number(res.headers.get('Retry-After'));
    const when = wait > 0 ? `in ${wait} second${wait === 1 ? '' : 's'}` : 'in a moment';
    return new ApiError(429, `Too many attempts. Please try again ${when}.`);
  }
  if (res.status >= 500) {
    return new ApiError(res.status, 'BakeWind is temporarily unavailable. Please try again in a moment.');
  }
  const message = body && body.message;
  if (Array.isArray(message)) return new ApiError(res.status, message.join('. '));
  return new ApiError(res.status, message || `The request failed (${res.status}).`);
}

async function post(path, body, accessToken) {
  const headers = { 'Content-Type': 'application/json' };
  if (accessToken) headers.Authorization = `Bearer ${accessToken}`;
  let res;
  try {
    res = await fetch(config.apiUrl + path, { method: 'POST', headers, body: JSON.stringify(body) });
  } catch {
    throw new ApiError(0, 'Cannot reach BakeWind. Check your connection and try again.');
  }
  if (!res.ok) throw await errorFrom(res);
  return res.status === 204 ? null : res.json();
}

// Hands the signed-in session to the dashboard: a transfer session for 60 s,
// claimed there once.
async function continueToDashboard(tokens) {
  const transfer = await post('/api/v1/auth/transfer', { refreshToken: tokens.refreshToken }, tokens.accessToken);
  const target = new URL('/auth/callback', config.adminUrl);
  target.searchParams.set('session', transfer.sessionId);
  window.location.assign(target.toString());
}

function showError(form, error) {
  const box = form.querySelector('.alert');
  box.textContent = error.message;
  box.hidden = false;
}

// Checks the fields the browser can check, with one message per field.
function invalidFields(form) {
  const problems = [];
  for (const input of form.querySelectorAll('input')) {
    if (input.checkValidity()) continue;
    const label = form.querySelector(`label[for="${input.id}"]`).textContent;
    if (input.validity.valueMissing) problems.push(`${label} is required`);
    else if (input.validity.typeMismatch) problems.push(`${label} must be a valid email address`);
    else if (input.validity.tooShort) problems.push(`${label} must be at least ${input.minLength} characters`);
    else problems.push(`${label} is not valid`);
  }
  return problems;
}

function bindForm(form, submit) {
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const problems = invalidFields(form);
    if (problems.length) {
      showError(form, new ApiError(400, problems.join('. ') + '.'));
      return;
    }
    const button = form.querySelector('button[type="submit"]');
    const label = button.textContent;
    button.disabled = true;
    button.textContent = 'Please wait…';
    form.querySelector('.alert').hidden = true;
    try {
      const data = Object.fromEntries(new FormData(form));
      const tokens = await submit(data);
      await continueToDashboard(tokens);
    } catch (error) {
      showError(form, error instanceof ApiError ? error : new ApiError(0, 'Something went wrong. Please try again.'));
      button.disabled = false;
      button.textContent = label;
    }
  });
}

function render() {
  const main = document.getElementById('main');
  const id = views[window.location.pathname.replace(/(.)\/+$/, '$1')] || 'view-missing';
  main.replaceChildren(document.getElementById(id).content.cloneNode(true));
  const signup = main.querySelector('#signup-form');
  if (signup) {
    bindForm(signup, (d) => post('/api/v1/auth/register', {
      name: d.name.trim(), bakeryName: d.bakeryName.trim(), email: d.email.trim(), password: d.password,
    }));
  }
  const signin = main.querySelector('#signin-form');
  if (signin) bindForm(signin, (d) => post('/api/v1/auth/login', { email: d.email.trim(), password: d.password }));
  const title = main.querySelector('h1');
  document.title = id === 'view-home' ? 'BakeWind: orders and production for your bakery' : `${title.textContent} · BakeWind`;
  const first = main.querySelector('input');
  if (first) first.focus();
}

document.addEventListener('click', (event) => {
  const link = event.target.closest('a[data-route]');
  if (!link || event.metaKey || event.ctrlKey || event.shiftKey) return;
  event.preventDefault();
  if (link.pathname !== window.location.pathname) window.history.pushState(null, '', link.pathname);
  render();
});
window.addEventListener('popstate', render);
render();
