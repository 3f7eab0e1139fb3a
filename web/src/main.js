/**
 * KropBot crowd page: DOM wiring only. Logic lives in ./logic/*.js (unit-tested) and the
 * connection handling in ./connection.js.
 */
import './style.css';
import { CrowdLink, gatewayUrl } from './connection.js';
import {
  BIN_NAMES, BUTTONS, buttonCommand, gamepadCommand, intentsToButton, keyIntent, voteMessage,
} from './logic/commands.js';
import { formatAge, imageBytes, imageMime, stampToMs } from './logic/frame.js';
import { parseStatus, statusView } from './logic/status.js';
import { VoteScheduler } from './logic/votes.js';

const $ = (id) => document.getElementById(id);
const now = () => performance.now();

let limits = statusView(null).limits;

// ---------------------------------------------------------------- connection
const connEl = $('conn-state');
function showState(state, info) {
  connEl.dataset.state = state;
  const retry = info?.retryInMs ? ` (retry in ${(info.retryInMs / 1000).toFixed(1)} s)` : '';
  connEl.textContent = state + retry;
}

const link = new CrowdLink({
  url: gatewayUrl(window.location),
  onState: showState,
  onStatus: (msg) => renderStatus(parseStatus(msg?.data)),
  onImage: showFrame,
  onConnected: () => votes.onConnected(now()),
  onDisconnected: () => votes.onDisconnected(),
});

const votes = new VoteScheduler({
  send: (cmd) => link.publishVote(voteMessage(cmd, Date.now())),
});
setInterval(() => votes.tick(now()), 100);

// ---------------------------------------------------------------- camera
const cam = $('camera');
const noVideo = $('no-video');
const ageEl = $('frame-age');
let newestStampMs = null;
let frames = 0;
let decoding = false;
let pendingFrame = null;
let shownUrl = null;

function showFrame(msg) {
  const bytes = imageBytes(msg?.data);
  if (!bytes) return;
  const stamp = stampToMs(msg.header?.stamp);
  if (stamp !== null) newestStampMs = stamp;
  pendingFrame = { bytes, mime: imageMime(msg.format), stamp };
  if (!decoding) displayPending();
}

function displayPending() {
  // Only the newest frame is decoded; frames arriving meanwhile replace each other.
  const f = pendingFrame;
  pendingFrame = null;
  if (!f) return;
  decoding = true;
  const url = URL.createObjectURL(new Blob([f.bytes], { type: f.mime }));
  const done = () => {
    cam.removeEventListener('load', done);
    cam.removeEventListener('error', done);
    if (shownUrl) URL.revokeObjectURL(shownUrl);
    shownUrl = url;
    frames += 1;
    cam.dataset.frames = String(frames);
    cam.dataset.stamp = f.stamp === null ? '' : String(f.stamp);
    noVideo.hidden = true;
    decoding = false;
    if (pendingFrame) displayPending();
  };
  cam.addEventListener('load', done);
  cam.addEventListener('error', done);
  cam.src = url;
}

function updateAge() {
  const age = newestStampMs === null ? null : Date.now() - newestStampMs;
  ageEl.textContent = formatAge(age);
  ageEl.dataset.ageMs = age === null ? '' : String(Math.round(age));
}
setInterval(updateAge, 100);

// ---------------------------------------------------------------- crowd status
const driversEl = $('drivers');
const operatorEl = $('operator');
const histEl = $('histogram');
const arrowSvg = $('command-arrow');
const arrowLine = $('arrow-line');
const arrowHead = $('arrow-head');
const commandText = $('command-text');
const strategyEl = $('strategy');
const LABELS = Object.fromEntries(BUTTONS.map((b) => [b.name, b.label]));
const GLYPHS = Object.fromEntries(BUTTONS.map((b) => [b.name, b.glyph]));

const histRows = new Map();
for (const name of BIN_NAMES) {
  const li = document.createElement('li');
  li.setAttribute('data-testid', `hist-${name}`);
  li.innerHTML = `<span class="label">${GLYPHS[name]} ${LABELS[name]}</span>`
    + '<span class="track"><span class="fill"></span></span><span class="count">0</span>';
  histEl.appendChild(li);
  histRows.set(name, {
    li, fill: li.querySelector('.fill'), count: li.querySelector('.count'),
  });
}

let statusUpdates = 0;

function renderStatus(status) {
  if (!status) return;
  const view = statusView(status);
  statusUpdates += 1;
  driversEl.dataset.updates = String(statusUpdates);
  driversEl.textContent = String(view.voters);
  operatorEl.hidden = !view.operator;
  strategyEl.textContent = view.strategy ? `strategy: ${view.strategy}` : '';
  const maxCount = Math.max(...view.bars.map((b) => b.count));
  for (const bar of view.bars) {
    const row = histRows.get(bar.name);
    row.fill.style.width = `${(bar.fraction * 100).toFixed(1)}%`;
    row.count.textContent = String(bar.count);
    row.li.classList.toggle('winner', bar.count > 0 && bar.count === maxCount);
    row.li.setAttribute('aria-label', `${LABELS[bar.name]}: ${bar.count}`);
  }
  const R = 32; // full-length arrow, in the SVG viewBox units (ring radius 46)
  const { dx, dy, length } = view.arrow;
  const tipX = dx * R;
  const tipY = -dy * R;
  arrowLine.setAttribute('x2', tipX.toFixed(2));
  arrowLine.setAttribute('y2', tipY.toFixed(2));
  if (length > 0) {
    const ux = dx / length;
    const uy = -dy / length;
    const base = 9;
    const half = 6;
    const bx = tipX - ux * base;
    const by = tipY - uy * base;
    arrowHead.setAttribute('points', [
      `${(tipX + ux * 3).toFixed(2)},${(tipY + uy * 3).toFixed(2)}`,
      `${(bx - uy * half).toFixed(2)},${(by + ux * half).toFixed(2)}`,
      `${(bx + uy * half).toFixed(2)},${(by - ux * half).toFixed(2)}`,
    ].join(' '));
  } else {
    arrowHead.setAttribute('points', '0,0');
  }
  const desc = `${LABELS[view.bin]} — ${view.command.linear.toFixed(2)} m/s, `
    + `${view.command.angular.toFixed(2)} rad/s`;
  commandText.textContent = desc;
  arrowSvg.setAttribute('aria-label', `fused command: ${desc}`);
  arrowSvg.dataset.bin = view.bin;
  arrowSvg.dataset.length = view.arrow.length.toFixed(3);
  if (view.limits.maxLinear !== limits.maxLinear || view.limits.maxAngular !== limits.maxAngular) {
    limits = view.limits;
    votes.setLimits(limits);
    refreshHeldButtons();
  }
}

// ---------------------------------------------------------------- pad (mouse + touch)
const pad = $('pad');
const padButtons = new Map();
const pointers = new Map(); // pointerId -> button name, in press order
for (const b of BUTTONS) {
  const el = document.createElement('button');
  el.type = 'button';
  el.dataset.name = b.name;
  el.setAttribute('data-testid', `pad-${b.name}`);
  el.setAttribute('aria-label', b.label);
  el.setAttribute('aria-pressed', 'false');
  el.textContent = b.glyph;
  pad.appendChild(el);
  padButtons.set(b.name, el);
}

function padPressed() {
  let name = null;
  for (const n of pointers.values()) name = n; // the latest press wins
  return name;
}

function updatePad() {
  const name = padPressed();
  votes.set('pad', name ? buttonCommand(name, limits) : null, now());
  const held = new Set(pointers.values());
  if (keyButton) held.add(keyButton);
  for (const [n, el] of padButtons) el.setAttribute('aria-pressed', String(held.has(n)));
}

pad.addEventListener('pointerdown', (e) => {
  const el = e.target.closest('button[data-name]');
  if (!el) return;
  e.preventDefault();
  try {
    el.setPointerCapture(e.pointerId);
  } catch {
    // synthetic pointers cannot always be captured
  }
  pointers.delete(e.pointerId);
  pointers.set(e.pointerId, el.dataset.name);
  updatePad();
});
const release = (e) => {
  if (pointers.delete(e.pointerId)) updatePad();
};
pad.addEventListener('pointerup', release);
pad.addEventListener('pointercancel', release);
pad.addEventListener('lostpointercapture', release);
pad.addEventListener('contextmenu', (e) => e.preventDefault());

// ---------------------------------------------------------------- keyboard
const heldIntents = new Map(); // key -> intent
let keyButton = null;

function updateKeyboard() {
  keyButton = intentsToButton(heldIntents.values());
  votes.set('keyboard', keyButton ? buttonCommand(keyButton, limits) : null, now());
  updatePad();
}

function onKeyDown(e) {
  if (e.ctrlKey || e.metaKey || e.altKey) return;
  const intent = keyIntent(e.key);
  if (!intent) return;
  e.preventDefault();
  if (heldIntents.get(e.key.toLowerCase()) === intent) return; // auto-repeat
  heldIntents.set(e.key.toLowerCase(), intent);
  updateKeyboard();
}

window.addEventListener('keydown', onKeyDown);
window.addEventListener('keyup', (e) => {
  if (heldIntents.delete(e.key.toLowerCase())) {
    e.preventDefault();
    updateKeyboard();
  }
});
// Keys released while the window is not focused never send keyup: forget them on blur.
window.addEventListener('blur', () => {
  if (heldIntents.size === 0) return;
  heldIntents.clear();
  updateKeyboard();
});
// A hidden page (tab switched, phone locked) stops voting altogether.
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState !== 'hidden') return;
  heldIntents.clear();
  pointers.clear();
  keyButton = null;
  votes.releaseAll(now());
  updatePad();
});

function refreshHeldButtons() {
  updateKeyboard();
}

// ---------------------------------------------------------------- gamepad
const gamepadEl = $('gamepad');
let gamepadName = '';
window.addEventListener('gamepadconnected', (e) => {
  gamepadName = e.gamepad.id;
  gamepadEl.textContent = `Gamepad: ${gamepadName}`;
});
window.addEventListener('gamepaddisconnected', () => {
  gamepadName = '';
  gamepadEl.textContent = '';
  votes.set('gamepad', null, now());
});

function pollGamepads() {
  const pads = navigator.getGamepads ? navigator.getGamepads() : [];
  let cmd = null;
  for (const gp of pads) {
    if (gp && gp.connected) {
      cmd = gamepadCommand(gp.axes, limits);
      if (cmd) break;
    }
  }
  votes.set('gamepad', cmd, now());
}
setInterval(pollGamepads, 50);

// ---------------------------------------------------------------- go
link.start();
