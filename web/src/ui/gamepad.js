/**
 * Gamepads (browser Gamepad API): the name of the connected one, and polling.
 *
 * The Gamepad API has no events for stick motion, so the owner calls poll() periodically
 * (the page: every 50 ms); a disconnect polls at once so a vanished stick is released.
 */

/**
 * @param {EventTarget} target - where gamepadconnected/gamepaddisconnected arrive (window)
 * @param {HTMLElement} label - shows "Gamepad: <id>" while one is connected
 * @param {{getGamepads: () => Iterable<object|null>, onPoll: (pads: Iterable<object|null>) => void}}
 *   deps - navigator.getGamepads (bound) and the consumer of each poll
 * @returns {{poll: () => void}}
 */
export function createGamepad(target, label, { getGamepads, onPoll }) {
  const poll = () => onPoll(getGamepads() ?? []);
  target.addEventListener('gamepadconnected', (e) => {
    label.textContent = `Gamepad: ${e.gamepad.id}`;
  });
  target.addEventListener('gamepaddisconnected', () => {
    label.textContent = '';
    poll();
  });
  return { poll };
}
