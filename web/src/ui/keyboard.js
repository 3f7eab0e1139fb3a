/**
 * Keyboard driving: arrows / WASD / space held on `target` (the window) → a pad button name.
 *
 * Auto-repeat is ignored; keys with Ctrl/Meta/Alt are left to the browser. Keys released while
 * the window is not focused never send keyup, so everything is forgotten on blur.
 */
import { intentsToButton, keyIntent } from '../logic/commands.js';

/**
 * @param {EventTarget} target - where key events arrive (window)
 * @param {{onChange: (name: string|null) => void}} callbacks - called when the button the held
 *   keys make changes (null = none)
 * @returns {{releaseAll: () => void}}
 */
export function createKeyboard(target, { onChange }) {
  const held = new Map(); // key (lower case) -> intent
  let button = null;

  function update() {
    const next = intentsToButton(held.values());
    if (next === button) return;
    button = next;
    onChange(button);
  }

  target.addEventListener('keydown', (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const intent = keyIntent(e.key);
    if (!intent) return;
    e.preventDefault();
    const key = e.key.toLowerCase();
    if (held.get(key) === intent) return; // auto-repeat
    held.set(key, intent);
    update();
  });
  target.addEventListener('keyup', (e) => {
    if (typeof e.key === 'string' && held.delete(e.key.toLowerCase())) {
      e.preventDefault();
      update();
    }
  });

  const api = {
    /** Forget every held key; onChange(null) if a button was held. */
    releaseAll() {
      held.clear();
      update();
    },
  };
  target.addEventListener('blur', api.releaseAll);
  return api;
}
