/**
 * The direction pad: one button per BUTTONS entry, held with any pointer (mouse, touch, pen).
 *
 * Several pointers may hold buttons at once; the latest press wins (PressOrder). Buttons held by
 * the pad or by another control (the keyboard, via setExternalHeld) show `aria-pressed="true"`.
 */
import { BUTTONS } from '../logic/commands.js';
import { PressOrder } from '../logic/press-order.js';

/**
 * @param {HTMLElement} container - the pad grid; the buttons are appended to it
 * @param {{onChange: (name: string|null) => void}} callbacks - called whenever the held
 *   pointers change, with the winning button name (null = nothing held)
 * @returns {{setExternalHeld: (name: string|null) => void, releaseAll: () => void}}
 */
export function createPad(container, { onChange }) {
  const buttons = new Map();
  for (const b of BUTTONS) {
    const el = document.createElement('button');
    el.type = 'button';
    el.dataset.name = b.name;
    el.setAttribute('data-testid', `pad-${b.name}`);
    el.setAttribute('aria-label', b.label);
    el.setAttribute('aria-pressed', 'false');
    el.textContent = b.glyph;
    container.appendChild(el);
    buttons.set(b.name, el);
  }
  const pointers = new PressOrder(); // pointerId -> button name
  let external = null;

  function showPressed() {
    const held = pointers.values();
    if (external) held.add(external);
    for (const [name, el] of buttons) el.setAttribute('aria-pressed', String(held.has(name)));
  }

  function changed() {
    showPressed();
    onChange(pointers.latest());
  }

  container.addEventListener('pointerdown', (e) => {
    const el = e.target.closest('button[data-name]');
    if (!el || !container.contains(el)) return;
    e.preventDefault();
    try {
      el.setPointerCapture(e.pointerId);
    } catch {
      // synthetic pointers cannot always be captured
    }
    pointers.press(e.pointerId, el.dataset.name);
    changed();
  });
  const release = (e) => {
    if (pointers.release(e.pointerId)) changed();
  };
  container.addEventListener('pointerup', release);
  container.addEventListener('pointercancel', release);
  container.addEventListener('lostpointercapture', release);
  container.addEventListener('contextmenu', (e) => e.preventDefault());

  return {
    /** Show `name` pressed as well (a button another control holds; null = none). */
    setExternalHeld(name) {
      external = name;
      showPressed();
    },
    /** Forget every held pointer (page hidden); onChange(null) if something was held. */
    releaseAll() {
      if (pointers.clear()) changed();
    },
  };
}
