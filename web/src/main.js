/**
 * KropBot crowd page: composes the UI modules (./ui/*.js, DOM) with the pure logic
 * (./logic/*.js, unit-tested) and the connection (./connection.js). No logic of its own.
 *
 * Start-up: read ./config.json (logic/config.js) to learn who assigns voter ids, then build the
 * link, the vote schedulers (crowd and operator, behind one router) and the controls, the
 * widgets, the crowd-mode panel with its mode votes (logic/modes.js), the operator panel
 * (logic/operator.js) with its moderation panel (logic/moderation.js), and connect.
 */
import './style.css';
import { CrowdLink } from './connection.js';
import { voteMessage } from './logic/commands.js';
import { loadConfig } from './logic/config.js';
import { Controls } from './logic/controls.js';
import { socketUrl } from './logic/endpoint.js';
import { ModeVoter, modeVoteMessage, voterToken } from './logic/modes.js';
import {
  DriveRouter, OPERATOR_TIMING, OperatorSession, STATES, authFields, operatorRequested,
  randomNonce, twistMessage,
} from './logic/operator.js';
import { parseStatus } from './logic/status.js';
import { tabVoterId } from './logic/voter-id.js';
import { VoteScheduler } from './logic/votes.js';
import { createCamera } from './ui/camera.js';
import { createConnectionState } from './ui/connection-state.js';
import { createGamepad } from './ui/gamepad.js';
import { createKeyboard } from './ui/keyboard.js';
import { createModerationPanel } from './ui/moderation.js';
import { createModesPanel } from './ui/modes.js';
import { createOperatorPanel } from './ui/operator.js';
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
// behind the crowd gateway the page also gets its own topic crowd/you (token, votes counted)
const link = new CrowdLink({
  url: socketUrl(window.location, config), gatewayTopics: config.voterId !== 'client',
});
const votes = new DriveRouter({
  crowd: new VoteScheduler({
    send: (cmd) => link.publishVote(voteMessage(cmd, Date.now(), voterId)),
  }),
  operator: new VoteScheduler({
    send: (cmd) => link.publishTeleop(twistMessage(cmd)), ...OPERATOR_TIMING,
  }),
});
const controls = new Controls({ votes });

// ---------------------------------------------------------------- operator mode
const subtle = window.isSecureContext ? window.crypto?.subtle : undefined;
let operatorPanel = null;
let moderation = null;
let modes = null;
const operator = new OperatorSession({
  available: Boolean(subtle),
  makeAuth: (secret) => authFields({
    secret, dest: window.location.hostname, nowMs: Date.now(), subtle,
    rand: randomNonce(window.crypto),
  }),
  send: (fields) => link.authenticate(fields),
  onChange: (state, detail) => {
    if (state === STATES.operator) {
      link.enableTeleop();
      link.enableModeration();
      controls.releaseAll(now());
      votes.use('operator', now());
    } else if (state !== STATES.signingIn) {
      controls.releaseAll(now());
      votes.use('crowd', now());
    }
    operatorPanel?.show(state, detail);
    moderation?.show(state === STATES.operator);
    modes?.setOperator(state === STATES.operator);
  },
});
operatorPanel = createOperatorPanel({
  root: document.body, link: $('operator-link'), panel: $('operator-panel'),
  form: $('operator-form'), secret: $('operator-secret'), state: $('operator-state'),
  leave: $('operator-leave'),
}, {
  open: operatorRequested(window.location.search),
  onSignIn: (secret) => operator.start(secret, link.connected),
  onLeave: () => {
    operator.stop();
    link.restart(); // the gateway keeps a connection's role: a new connection is a crowd voter
  },
});
operatorPanel.show(operator.state);
moderation = createModerationPanel($('moderation'), {
  send: (msg) => link.publishModeration(msg),
});

// ---------------------------------------------------------------- widgets
const connState = createConnectionState($('conn-state'));
const camera = createCamera({ img: $('camera'), placeholder: $('no-video'), age: $('frame-age') });
const status = createStatusPanel({
  drivers: $('drivers'),
  bots: $('bots'),
  botsBox: $('bots-box'),
  operator: $('operator'),
  offline: $('robot-offline'),
  paused: $('paused'),
  strategy: $('strategy'),
  falls: $('falls'),
  guard: $('guard'),
  histogram: $('histogram'),
  arrow: $('command-arrow'),
  arrowLine: $('arrow-line'),
  arrowHead: $('arrow-head'),
  commandText: $('command-text'),
}, { onLimits: (limits) => controls.setLimits(limits, now()) });
// mode votes (crowd switch): re-sent every 20 s while chosen; the tab's id in the stock
// rosbridge mode, '' behind the gateway (it writes the connection's voter id)
const modeVoter = new ModeVoter({
  send: (mode) => link.publishModeVote(modeVoteMessage(mode, voterId)),
});
modes = createModesPanel($('modes'), {
  pad: $('pad'), clientToken: voterId ? voterToken(voterId) : null, now,
  onModeVote: (mode) => modeVoter.choose(mode, now()),
});

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
setInterval(() => votes.tick(now()), 50); // the operator re-sends every 100 ms
setInterval(() => camera.updateAge(), 100);
setInterval(() => {
  modes.tick();
  modeVoter.tick(now());
}, 250);
setInterval(() => gamepad.poll(), 50);
link.start({
  onState: connState.show,
  onStatus: (msg) => {
    const parsed = parseStatus(msg?.data);
    status.render(parsed);
    modes.render(parsed);
    moderation.renderStatus(parsed);
  },
  onYou: (msg) => {
    const you = parseStatus(msg?.data);
    modes.setYou(you);
    moderation.setOwnToken(you?.you ?? null);
  },
  onConnections: (msg) => moderation.renderConnections(parseStatus(msg?.data)),
  onImage: camera.show,
  onConnected: () => {
    votes.onConnected(now());
    modeVoter.onConnected(now());
    operator.connected();
  },
  onDisconnected: () => {
    votes.onDisconnected();
    modeVoter.onDisconnected();
    modes.setYou(null); // the next connection has another voter id
    operator.disconnected();
  },
  onServerStatus: (m) => moderation.serverStatus(m) || operator.status(m),
});
