// /auth/callback?session=ID: the website's hand-off. The id is taken out of
// the address bar at once (history.replaceState), then claimed: exactly once,
// so a reload or a replayed link finds it gone and says so.
import { claimTransfer, config, readTokens, storeTokens } from '../api.js';
import { h } from '../ui.js';

function expired(main, message, heading = 'This sign-in link has expired') {
  document.title = `${heading} · BakeWind`;
  const signIn = new URL('/signin', config.siteUrl).toString();
  main.replaceChildren(h('section', { class: 'card narrow center', 'aria-labelledby': 'expired-title' },
    h('img', { class: 'brand-mark', src: '/favicon.svg', alt: '', width: 44, height: 44 }),
    h('h1', { id: 'expired-title' }, heading),
    h('p', {}, message),
    // Signed in already (a used link opened again, a reload): the way on is
    // the dashboard itself.
    readTokens()
      ? h('a', { class: 'button primary', href: '/orders', 'data-route': true }, 'Go to the orders')
      : h('a', { class: 'button primary', href: signIn }, 'Back to sign in')));
}

export async function mountCallback(main, { start }) {
  const sessionId = new URLSearchParams(window.location.search).get('session');
  window.history.replaceState(null, '', '/auth/callback');
  main.replaceChildren(h('p', { class: 'loading', role: 'status' }, 'Signing you in…'));
  if (!sessionId) {
    expired(main, 'Sign-in links work once and only for a minute. Sign in again to continue.');
    return null;
  }
  try {
    const claimed = await claimTransfer(sessionId);
    storeTokens(claimed);
  } catch (error) {
    if (error.status === 401 || error.status === 400) {
      expired(main, 'Sign-in links work once and only for a minute. Sign in again to continue.');
    } else {
      expired(main, error.message, 'We could not sign you in');
    }
    return null;
  }
  // Not awaited: start() re-renders, which waits for this view to finish mounting.
  start();
  return null;
}
