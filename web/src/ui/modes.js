/**
 * The crowd-mode panel: mode name and what it means for this client (democracy tally and
 * countdown, queue position and wait, "your input is driving"), the anarchy/democracy meter
 * when the crowd may switch, and the pad's state (drive / join / wait), from crowd/status.
 *
 * Countdowns are re-drawn between two statuses by tick() (the time since the status arrived is
 * taken off), so they run smoothly at the status rate of 2 Hz.
 *
 * The client finds itself by its voter token: the crowd gateway's crowd/you (setYou), or in the
 * stock rosbridge mode the token of its own tab id (clientToken). crowd/you also says whether
 * this connection's votes count; if not, the "watching only" note shows.
 */
import { BIN_NAMES, BUTTONS } from '../logic/commands.js';
import { watchingNote } from '../logic/moderation.js';
import { modesView, ownToken } from '../logic/modes.js';

const LABELS = Object.fromEntries(BUTTONS.map((b) => [b.name, b.label]));
const GLYPHS = Object.fromEntries(BUTTONS.map((b) => [b.name, b.glyph]));
const PAD_HINTS = {
  drive: '',
  join: 'press any direction to join the queue',
  wait: 'waiting for your turn: the pad drives when it comes',
};

/**
 * @param {HTMLElement} root - the modes section (children found by data-testid: mode-name,
 *   mode-detail, democracy-tally, mode-meter, meter-fill, meter-text, mode-vote-anarchy,
 *   mode-vote-democracy, mode-hint, watching)
 * @param {{pad: HTMLElement, clientToken?: string|null, now: () => number,
 *   onModeVote?: (mode: string|null) => void}} opts - pad: the direction pad (gets
 *   data-pad-state and aria-disabled); clientToken: this tab's voter token in the stock
 *   rosbridge mode (else null: the gateway's `you` is used); now: ms clock; onModeVote: called
 *   with the chosen mode (null = withdrawn); without it the meter's buttons stay disabled
 * @returns {{render: (status: object|null) => void, setYou: (you: object|null) => void,
 *   setOperator: (active: boolean) => void, tick: () => void}} setYou: the parsed crowd/you of
 *   this connection; setOperator: this page is the operator (its pad drives teleop/cmd_vel,
 *   which overrides every mode: the pad always drives, no queue hint)
 */
export function createModesPanel(root, { pad, clientToken = null, now, onModeVote = null }) {
  const $ = (id) => root.querySelector(`[data-testid="${id}"]`);
  const els = {
    name: $('mode-name'), detail: $('mode-detail'), tally: $('democracy-tally'),
    meter: $('mode-meter'), fill: $('meter-fill'), mark: $('meter-threshold'),
    meterText: $('meter-text'), hint: $('mode-hint'), watching: $('watching'),
    vote: { anarchy: $('mode-vote-anarchy'), democracy: $('mode-vote-democracy') },
  };
  const rows = new Map();
  for (const name of BIN_NAMES) {
    const li = document.createElement('li');
    li.setAttribute('data-testid', `tally-${name}`);
    li.innerHTML = `<span class="label">${GLYPHS[name]} ${LABELS[name]}</span>`
      + '<span class="track"><span class="fill"></span></span><span class="count">0</span>';
    els.tally.appendChild(li);
    rows.set(name, { li, fill: li.querySelector('.fill'), count: li.querySelector('.count') });
  }
  let chosen = null;
  for (const [mode, button] of Object.entries(els.vote)) {
    button.disabled = !onModeVote;
    button.addEventListener('click', () => {
      chosen = chosen === mode ? null : mode; // a second click withdraws the vote
      for (const [m, b] of Object.entries(els.vote)) b.setAttribute('aria-pressed', String(m === chosen));
      onModeVote?.(chosen);
    });
  }
  let last = null; // { status, at }
  let you = null; // the gateway's crowd/you
  let operator = false;

  function drawTally(d) {
    els.tally.hidden = d === null;
    if (d === null) return;
    for (const bar of d.bars) {
      const row = rows.get(bar.name);
      row.fill.style.width = `${(bar.fraction * 100).toFixed(1)}%`;
      row.count.textContent = String(bar.count);
      row.li.classList.toggle('winner', bar.name === d.leading && bar.count > 0);
    }
  }

  function drawMeter(m) {
    els.meter.hidden = m === null;
    if (m === null) return;
    els.meter.dataset.active = String(m.active);
    els.fill.style.width = `${((m.fraction ?? 0.5) * 100).toFixed(1)}%`;
    els.meter.setAttribute('aria-valuenow', m.fraction === null ? '50'
      : String(Math.round(m.fraction * 100)));
    els.mark.style.left = `${(m.mark * 100).toFixed(1)}%`;
    els.meterText.textContent = m.text;
  }

  function draw() {
    const elapsed = (now() - last.at) / 1000;
    const view = modesView(last.status, { token: ownToken(you, clientToken), elapsed });
    root.dataset.mode = view.mode;
    els.name.textContent = view.title;
    els.detail.textContent = view.detail;
    if (view.queue) {
      root.dataset.queueRole = view.queue.role;
      root.dataset.queuePosition = view.queue.position === null ? '' : String(view.queue.position);
    } else {
      delete root.dataset.queueRole;
      delete root.dataset.queuePosition;
    }
    drawTally(view.democracy);
    drawMeter(view.meter);
    if (operator) view.pad = 'drive';
    pad.dataset.padState = view.pad;
    pad.setAttribute('aria-disabled', String(view.pad === 'wait'));
    els.hint.textContent = PAD_HINTS[view.pad];
    els.hint.hidden = view.pad === 'drive';
  }

  return {
    render(status) {
      if (!status) return;
      last = { status, at: now() };
      draw();
    },
    setOperator(active) {
      operator = Boolean(active);
      if (last) draw();
    },
    setYou(message) {
      you = message && typeof message === 'object' ? message : null;
      const note = watchingNote(you);
      els.watching.hidden = note === null;
      els.watching.textContent = note ?? '';
      if (last) draw();
    },
    tick() {
      if (last) draw();
    },
  };
}
