/**
 * The operator panel: the "operator" link, the secret form, the sign-in state, "leave".
 *
 * Hidden until the page is opened with `?operator` or the link is clicked. The secret field is
 * a password input (no autocomplete, never stored by the page); it is cleared once submitted.
 * `<body data-role>` says how this page drives: "crowd" or "operator".
 */
import { STATES } from '../logic/operator.js';

const TEXT = Object.freeze({
  [STATES.off]: 'Sign in with the operator secret to override the crowd.',
  [STATES.signingIn]: 'operator: signing in…',
  [STATES.operator]: 'You are the operator: your controls override the crowd (released: the '
    + 'crowd drives again after 0.5 s).',
  [STATES.refused]: 'operator: refused',
  [STATES.unavailable]: 'operator mode unavailable',
});

/**
 * @param {{root: HTMLElement, link: HTMLAnchorElement, panel: HTMLElement,
 *   form: HTMLFormElement, secret: HTMLInputElement, state: HTMLElement,
 *   leave: HTMLButtonElement}} els
 * @param {{open: boolean, onSignIn: (secret: string) => void, onLeave: () => void}} opts -
 *   open: show the panel at once (`?operator`)
 * @returns {{show: (state: string, detail?: string) => void}}
 */
export function createOperatorPanel(els, { open, onSignIn, onLeave }) {
  const reveal = () => {
    els.panel.hidden = false;
    els.link.hidden = true;
  };
  if (open) reveal();
  els.link.addEventListener('click', (ev) => {
    ev.preventDefault();
    reveal();
    els.secret.focus();
  });
  els.form.addEventListener('submit', (ev) => {
    ev.preventDefault(); // never a navigation: the secret must not end up in a URL or a server log
    const secret = els.secret.value;
    els.secret.value = '';
    onSignIn(secret);
  });
  els.leave.addEventListener('click', () => onLeave());
  return {
    show(state, detail = '') {
      els.state.dataset.state = state;
      els.state.textContent = detail ? `${TEXT[state]}: ${detail}` : TEXT[state];
      const signedIn = state === STATES.operator || state === STATES.signingIn;
      els.form.hidden = signedIn;
      els.leave.hidden = !signedIn;
      els.root.dataset.role = state === STATES.operator ? 'operator' : 'crowd';
    },
  };
}
