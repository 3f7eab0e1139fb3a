// @vitest-environment happy-dom
// The UI modules against a DOM (happy-dom): each gets its elements and callbacks injected.
import { beforeEach, describe, expect, it } from 'vitest';
import { BIN_NAMES, BUTTONS } from '../src/logic/commands.js';
import { createCamera } from '../src/ui/camera.js';
import { createConnectionState } from '../src/ui/connection-state.js';
import { createGamepad } from '../src/ui/gamepad.js';
import { createKeyboard } from '../src/ui/keyboard.js';
import { createOperatorPanel } from '../src/ui/operator.js';
import { createPad } from '../src/ui/pad.js';
import { createStatusPanel } from '../src/ui/status.js';
import { showVoterMode } from '../src/ui/voter-mode.js';

const el = (tag = 'div') => document.createElement(tag);
const svg = (tag) => document.createElementNS('http://www.w3.org/2000/svg', tag);

beforeEach(() => {
  document.body.innerHTML = '';
});

describe('pad', () => {
  function setup() {
    const container = el();
    document.body.appendChild(container);
    const changes = [];
    const pad = createPad(container, { onChange: (n) => changes.push(n) });
    const button = (name) => container.querySelector(`[data-testid="pad-${name}"]`);
    const pointer = (type, name, id) => (name ? button(name) : container).dispatchEvent(
      new PointerEvent(type, { bubbles: true, cancelable: true, pointerId: id }),
    );
    const pressed = () => BUTTONS.map((b) => b.name)
      .filter((n) => button(n).getAttribute('aria-pressed') === 'true');
    return { container, pad, changes, button, pointer, pressed };
  }

  it('creates one labelled button per direction, in pad order', () => {
    const { container } = setup();
    const buttons = [...container.querySelectorAll('button')];
    expect(buttons.map((b) => b.dataset.name)).toEqual(BUTTONS.map((b) => b.name));
    expect(buttons[1].getAttribute('aria-label')).toBe('forward');
    expect(buttons[1].textContent).toBe('↑');
    expect(buttons.every((b) => b.type === 'button')).toBe(true);
  });

  it('holds while pressed; the latest of several pointers wins', () => {
    const { pointer, changes, pressed } = setup();
    pointer('pointerdown', 'forward', 1);
    expect(changes).toEqual(['forward']);
    expect(pressed()).toEqual(['forward']);
    pointer('pointerdown', 'left', 2);
    expect(changes.at(-1)).toBe('left');
    expect(pressed()).toEqual(['forward', 'left']);
    pointer('pointerup', 'left', 2);
    expect(changes.at(-1)).toBe('forward');
    pointer('pointercancel', 'forward', 1);
    expect(changes.at(-1)).toBeNull();
    expect(pressed()).toEqual([]);
    pointer('pointerup', 'forward', 1); // unknown pointer: nothing happens
    expect(changes).toHaveLength(4);
  });

  it('ignores presses beside the buttons and shows an external hold', () => {
    const { pad, pointer, changes, pressed } = setup();
    pointer('pointerdown', null, 1);
    expect(changes).toEqual([]);
    pad.setExternalHeld('back');
    expect(pressed()).toEqual(['back']);
    expect(changes).toEqual([]);
    pad.setExternalHeld(null);
    expect(pressed()).toEqual([]);
  });

  it('releaseAll forgets every pointer once', () => {
    const { pad, pointer, changes } = setup();
    pointer('pointerdown', 'back', 7);
    pad.releaseAll();
    expect(changes).toEqual(['back', null]);
    pad.releaseAll();
    expect(changes).toHaveLength(2);
  });
});

describe('keyboard', () => {
  function setup() {
    const target = new EventTarget();
    const changes = [];
    const kb = createKeyboard(target, { onChange: (n) => changes.push(n) });
    const key = (type, k, extra = {}) => {
      const e = new KeyboardEvent(type, { key: k, cancelable: true, ...extra });
      target.dispatchEvent(e);
      return e;
    };
    return { target, kb, changes, key };
  }

  it('combines held keys into pad buttons and ignores auto-repeat', () => {
    const { changes, key } = setup();
    expect(key('keydown', 'ArrowUp').defaultPrevented).toBe(true);
    key('keydown', 'ArrowUp');
    key('keydown', 'a');
    key('keyup', 'ArrowUp');
    key('keydown', 'ArrowDown');
    key('keyup', 'a');
    key('keyup', 'ArrowDown');
    expect(changes).toEqual(['forward', 'forward_left', 'left', 'back_left', 'back', null]);
  });

  it('leaves other keys and modified keys to the browser', () => {
    const { changes, key } = setup();
    expect(key('keydown', 'q').defaultPrevented).toBe(false);
    expect(key('keydown', 'w', { ctrlKey: true }).defaultPrevented).toBe(false);
    expect(changes).toEqual([]);
  });

  it('forgets held keys on blur and on releaseAll', () => {
    const { target, kb, changes, key } = setup();
    key('keydown', 'W');
    target.dispatchEvent(new Event('blur'));
    expect(changes).toEqual(['forward', null]);
    key('keydown', ' ');
    kb.releaseAll();
    kb.releaseAll();
    expect(changes).toEqual(['forward', null, 'stop', null]);
  });
});

describe('gamepad', () => {
  it('shows the connected gamepad and polls at once when one disconnects', () => {
    const target = new EventTarget();
    const label = el('span');
    const polls = [];
    let pads = [{ connected: true, axes: [0, -1] }];
    const gp = createGamepad(target, label, {
      getGamepads: () => pads, onPoll: (p) => polls.push(p),
    });
    const connected = new Event('gamepadconnected');
    connected.gamepad = { id: 'Test pad (STANDARD GAMEPAD)' };
    target.dispatchEvent(connected);
    expect(label.textContent).toBe('Gamepad: Test pad (STANDARD GAMEPAD)');
    gp.poll();
    expect(polls).toEqual([pads]);
    pads = [null];
    target.dispatchEvent(new Event('gamepaddisconnected'));
    expect(label.textContent).toBe('');
    expect(polls.at(-1)).toEqual([null]);
  });
});

describe('status panel', () => {
  function setup() {
    const els = {
      drivers: el('span'), operator: el(), offline: el(), strategy: el(), falls: el(),
      histogram: el('ul'), arrow: svg('svg'), arrowLine: svg('line'), arrowHead: svg('polygon'),
      commandText: el(),
    };
    els.operator.hidden = true;
    els.offline.hidden = true;
    els.falls.hidden = true;
    const limits = [];
    const panel = createStatusPanel(els, { onLimits: (l) => limits.push(l) });
    return { els, panel, limits };
  }

  it('creates one histogram row per direction bin', () => {
    const { els } = setup();
    expect([...els.histogram.children].map((li) => li.dataset.testid))
      .toEqual(BIN_NAMES.map((n) => `hist-${n}`));
  });

  it('renders drivers, bars, arrow, command text and the operator banner', () => {
    const { els, panel, limits } = setup();
    panel.render({
      voters: 3, histogram: { forward: 2, left: 1 }, command: { linear: 0.3, angular: 0 },
      strategy: 'mean', operator: true, max_linear: 0.3, max_angular: 1.5,
    });
    expect(els.drivers.textContent).toBe('3');
    expect(els.drivers.dataset.updates).toBe('1');
    expect(els.operator.hidden).toBe(false);
    expect(els.strategy.textContent).toBe('strategy: mean');
    expect(els.falls.hidden).toBe(true); // no falls key: no sim, nothing shown
    const row = (n) => els.histogram.querySelector(`[data-testid="hist-${n}"]`);
    expect(row('forward').getAttribute('aria-label')).toBe('forward: 2');
    expect(row('forward').classList.contains('winner')).toBe(true);
    expect(row('left').classList.contains('winner')).toBe(false);
    expect(row('forward').querySelector('.fill').style.width).toBe('66.7%');
    expect(row('left').querySelector('.count').textContent).toBe('1');
    expect(els.arrowLine.getAttribute('y2')).toBe('-32.00');
    expect(els.arrowHead.getAttribute('points')).toBe('0.00,-35.00 6.00,-23.00 -6.00,-23.00');
    expect(els.arrow.dataset.bin).toBe('forward');
    expect(els.arrow.dataset.length).toBe('1.000');
    expect(els.commandText.textContent).toBe('forward — 0.30 m/s, 0.00 rad/s');
    expect(els.arrow.getAttribute('aria-label')).toBe('fused command: forward — 0.30 m/s, 0.00 rad/s');
    expect(limits).toEqual([{ maxLinear: 0.3, maxAngular: 1.5 }]);
  });

  it('shows the sim fall count, and hides it again without a sim', () => {
    const { els, panel } = setup();
    panel.render({ voters: 0, falls: 0 });
    expect(els.falls.hidden).toBe(false);
    expect(els.falls.textContent).toBe('falls: 0');
    panel.render({ voters: 1, falls: 2 });
    expect(els.falls.textContent).toBe('falls: 2');
    panel.render({ voters: 1, falls: null });
    expect(els.falls.hidden).toBe(true);
    expect(els.falls.textContent).toBe('');
  });

  it('counts labelled bots apart from people', () => {
    const { els, panel } = setup();
    els.bots = el('span');
    els.botsBox = el('span');
    const withBots = createStatusPanel(els);
    withBots.render({ voters: 5, bots: 2, histogram: { forward: 5 } });
    expect(els.drivers.textContent).toBe('3');
    expect(els.drivers.dataset.voters).toBe('5');
    expect(els.bots.textContent).toBe('2');
    expect(els.botsBox.hidden).toBe(false);
    withBots.render({ voters: 1, bots: 0 });
    expect(els.botsBox.hidden).toBe(true);
    withBots.render({ voters: 1, bots: 7 }); // never more bots than voters
    expect(els.drivers.textContent).toBe('0');
    panel.render({ voters: 2 }); // a status without the key: all people
    expect(els.drivers.textContent).toBe('2');
  });

  it('shows "robot offline" while a relay gateway says so, and hides it when back', () => {
    const { els, panel } = setup();
    panel.render({ voters: 2, robot: 'online' });
    expect(els.offline.hidden).toBe(true);
    panel.render({ voters: 0, robot: 'offline', command: { linear: 0, angular: 0 } });
    expect(els.offline.hidden).toBe(false);
    expect(els.drivers.textContent).toBe('0');
    panel.render({ voters: 1, robot: 'online' });
    expect(els.offline.hidden).toBe(true);
  });

  it('ignores an unparsable status and counts only rendered ones', () => {
    const { els, panel, limits } = setup();
    panel.render(null);
    expect(els.drivers.dataset.updates).toBeUndefined();
    panel.render({});
    expect(els.drivers.dataset.updates).toBe('1');
    expect(els.arrow.dataset.bin).toBe('stop');
    expect(els.arrowHead.getAttribute('points')).toBe('0,0');
    expect(els.operator.hidden).toBe(true);
    expect(limits).toHaveLength(1);
  });
});

describe('camera', () => {
  function setup() {
    const img = el('img');
    const placeholder = el();
    const age = el('span');
    const made = [];
    const revoked = [];
    const urls = {
      createObjectURL: (blob) => {
        made.push(blob);
        return `blob:frame-${made.length}`;
      },
      revokeObjectURL: (u) => revoked.push(u),
    };
    let clock = 1_700_000_000_500;
    const cam = createCamera({ img, placeholder, age }, { now: () => clock, urls });
    const frame = (sec, data = [0xff, 0xd8, 0xff]) => ({
      header: { stamp: { sec, nanosec: 0 } }, format: 'jpeg', data,
    });
    return {
      img, placeholder, age, made, revoked, cam, frame, tick: (ms) => { clock += ms; },
    };
  }

  it('shows frames one decode at a time, only the newest pending one, revoking old URLs', () => {
    const { img, placeholder, made, revoked, cam, frame } = setup();
    cam.show(frame(1_700_000_000));
    expect(img.getAttribute('src')).toBe('blob:frame-1');
    expect(made[0].type).toBe('image/jpeg');
    cam.show(frame(1_700_000_001)); // arrives while decoding: waits
    cam.show(frame(1_700_000_002)); // replaces the waiting one
    expect(made).toHaveLength(1);
    img.dispatchEvent(new Event('load'));
    expect(img.dataset.frames).toBe('1');
    expect(img.dataset.stamp).toBe(String(1_700_000_000_000));
    expect(placeholder.hidden).toBe(true);
    expect(made).toHaveLength(2);
    expect(img.getAttribute('src')).toBe('blob:frame-2');
    img.dispatchEvent(new Event('error')); // a broken frame still moves on
    expect(img.dataset.frames).toBe('2');
    expect(img.dataset.stamp).toBe(String(1_700_000_002_000));
    expect(revoked).toEqual(['blob:frame-1']);
  });

  it('ignores messages without image data', () => {
    const { img, made, cam, frame } = setup();
    cam.show(frame(1, []));
    cam.show(null);
    cam.show({ format: 'jpeg' });
    expect(made).toHaveLength(0);
    expect(img.getAttribute('src')).toBeNull();
  });

  it('shows the age of the newest stamp, growing while frames stop', () => {
    const { age, cam, frame, tick } = setup();
    cam.updateAge();
    expect(age.textContent).toBe('—');
    expect(age.dataset.ageMs).toBe('');
    cam.show(frame(1_700_000_000));
    cam.updateAge();
    expect(age.textContent).toBe('500 ms');
    expect(age.dataset.ageMs).toBe('500');
    tick(20_000);
    cam.updateAge();
    expect(age.textContent).toBe('21 s');
  });
});

describe('connection state and voter mode', () => {
  it('shows the connection state and the retry delay', () => {
    const badge = el('span');
    const conn = createConnectionState(badge);
    conn.show('connecting');
    expect(badge.dataset.state).toBe('connecting');
    expect(badge.textContent).toBe('connecting');
    conn.show('reconnecting', { retryInMs: 2000 });
    expect(badge.dataset.state).toBe('reconnecting');
    expect(badge.textContent).toBe('reconnecting (retry in 2.0 s)');
  });

  it('marks the client mode and shows its note; the server mode hides both', () => {
    const root = el();
    const note = el('p');
    note.hidden = true;
    showVoterMode({ root, note }, 'client', 'tab-abc');
    expect(root.dataset.voterMode).toBe('client');
    expect(root.dataset.voterId).toBe('tab-abc');
    expect(note.hidden).toBe(false);
    showVoterMode({ root, note }, 'server', '');
    expect(root.dataset.voterMode).toBe('server');
    expect(root.dataset.voterId).toBeUndefined();
    expect(note.hidden).toBe(true);
  });
});

describe('operator panel', () => {
  function setup(open = false) {
    const els = {
      root: el(), link: el('a'), panel: el('section'), form: el('form'), secret: el('input'),
      state: el('p'), leave: el('button'),
    };
    els.panel.hidden = true;
    els.form.appendChild(els.secret);
    els.panel.append(els.form, els.state, els.leave);
    document.body.append(els.link, els.panel);
    const calls = [];
    const panel = createOperatorPanel(els, {
      open, onSignIn: (s) => calls.push(['sign-in', s]), onLeave: () => calls.push(['leave']),
    });
    return { els, panel, calls };
  }

  it('opens from the link, hands over the secret once and clears the field', () => {
    const { els, calls } = setup();
    expect(els.panel.hidden).toBe(true);
    const click = new MouseEvent('click', { bubbles: true, cancelable: true });
    els.link.dispatchEvent(click);
    expect(click.defaultPrevented).toBe(true);
    expect(els.panel.hidden).toBe(false);
    expect(els.link.hidden).toBe(true);
    els.secret.value = 'operator-secret-0123456789';
    const submit = new Event('submit', { bubbles: true, cancelable: true });
    els.form.dispatchEvent(submit);
    expect(submit.defaultPrevented).toBe(true); // no navigation with the secret
    expect(calls).toEqual([['sign-in', 'operator-secret-0123456789']]);
    expect(els.secret.value).toBe('');
  });

  it('shows each state and marks the page role', () => {
    const { els, panel, calls } = setup(true);
    expect(els.panel.hidden).toBe(false);
    panel.show('signing-in');
    expect(els.form.hidden).toBe(true);
    expect(els.leave.hidden).toBe(false);
    panel.show('operator');
    expect(els.state.dataset.state).toBe('operator');
    expect(els.state.textContent).toMatch(/You are the operator/);
    expect(els.root.dataset.role).toBe('operator');
    els.leave.dispatchEvent(new MouseEvent('click'));
    expect(calls).toEqual([['leave']]);
    panel.show('refused', 'wrong MAC');
    expect(els.state.textContent).toBe('operator: refused: wrong MAC');
    expect(els.form.hidden).toBe(false);
    expect(els.root.dataset.role).toBe('crowd');
  });
});
