/**
 * KropBot crowd page: composes the UI modules (./ui/*.js, DOM) with the pure logic
 * (./logic/*.js, unit-tested) and the connection (./connection.js). No logic of its own.
 *
 * Start-up: read ./config.json (logic/config.js) to learn who assigns voter ids, then build the
 * link, the vote scheduler and the controls, the widgets, and connect.
 */
import './style.css';
import { CrowdLink } from './connection.js';
import { voteMessage } from './logic/commands.js';
import { loadConfig } from './logic/config.js';
import { Controls } from './logic/controls.js';
import { socketUrl } from './logic/endpoint.js';
import { parseStatus } from './logic/status.js';
import { tabVoterId } from './logic/voter-id.js';
import { VoteScheduler } from './logic/votes.js';
import { createCamera } from './ui/camera.js';
import { createConnectionState } from './ui/connection-state.js';
import { createGamepad } from './ui/gamepad.js';
import { createKeyboard } from './ui/keyboard.js';
import { createPad } from './ui/pad.js';
import { createStatusPanel } from './ui/status.js';
import { showVoterMode } from './ui/voter-mode.js';

const $ = (id) => document.getElementById(id);
const now = () => performance.now();

function sessionStorageOrNull() {
  try {
    return window.sessionStorage; // the getter throws where storage is disabled
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------- who assigns voter ids
const { config, warning } = await loadConfig();
if (warning) console.warn(warning);
const voterId = config.voterId === 'client'
  ? tabVoterId({ storage: sessionStorageOrNull(), crypto: window.crypto })
  : ''; // the gateway assigns it
showVoterMode({ root: document.body, note: $('voter-mode') }, config.voterId, voterId);

// ---------------------------------------------------------------- link, votes, controls
const link = new CrowdLink({ url: socketUrl(window.location, config) });
const votes = new VoteScheduler({
  send: (cmd) => link.publishVote(voteMessage(cmd, Date.now(), voterId)),
});
const controls = new Controls({ votes });

// ---------------------------------------------------------------- widgets
const connState = createConnectionState($('conn-state'));
const camera = createCamera({ img: $('camera'), placeholder: $('no-video'), age: $('frame-age') });
const status = createStatusPanel({
  drivers: $('drivers'),
  operator: $('operator'),
  offline: $('robot-offline'),
  strategy: $('strategy'),
  histogram: $('histogram'),
  arrow: $('command-arrow'),
  arrowLine: $('arrow-line'),
  arrowHead: $('arrow-head'),
  commandText: $('command-text'),
}, { onLimits: (limits) => controls.setLimits(limits, now()) });

// ---------------------------------------------------------------- inputs
const pad = createPad($('pad'), {
  onChange: (name) => controls.setButton('pad', name, now()),
});
const keyboard = createKeyboard(window, {
  onChange: (name) => {
    controls.setButton('keyboard', name, now());
    pad.setExternalHeld(name);
  },
});
const gamepad = createGamepad(window, $('gamepad'), {
  getGamepads: () => (navigator.getGamepads ? navigator.getGamepads() : []),
  onPoll: (pads) => controls.setGamepads(pads, now()),
});
// A hidden page (tab switched, phone locked) stops voting altogether.
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState !== 'hidden') return;
  keyboard.releaseAll();
  pad.releaseAll();
  controls.releaseAll(now());
});

// ---------------------------------------------------------------- go
setInterval(() => votes.tick(now()), 100);
setInterval(() => camera.updateAge(), 100);
setInterval(() => gamepad.poll(), 50);
link.start({
  onState: connState.show,
  onStatus: (msg) => status.render(parseStatus(msg?.data)),
  onImage: camera.show,
  onConnected: () => votes.onConnected(now()),
  onDisconnected: () => votes.onDisconnected(),
});
