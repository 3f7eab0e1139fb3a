/**
 * The crowd panel: drivers count (people; labelled bots apart), operator banner, "robot
 * offline" banner, "paused by the operator" banner, fusion strategy, the sim's fall count, the command arrow and text, and the
 * per-direction histogram, rendered from crowd/status.
 */
import { arrowShape } from '../logic/arrow.js';
import { BIN_NAMES, BUTTONS } from '../logic/commands.js';
import { guardBanner } from '../logic/guard.js';
import { statusView } from '../logic/status.js';

const LABELS = Object.fromEntries(BUTTONS.map((b) => [b.name, b.label]));
const GLYPHS = Object.fromEntries(BUTTONS.map((b) => [b.name, b.glyph]));

/**
 * Build the histogram rows (one `hist-<bin>` per BIN_NAMES entry) and return the renderer.
 *
 * @param {{drivers: HTMLElement, bots?: HTMLElement, botsBox?: HTMLElement,
 *   operator: HTMLElement, offline?: HTMLElement, strategy: HTMLElement, falls: HTMLElement,
 *   histogram: HTMLElement, arrow: SVGElement, arrowLine: SVGLineElement,
 *   arrowHead: SVGPolygonElement, commandText: HTMLElement, guard?: HTMLElement,
 *   paused?: HTMLElement}} els - `guard`: the cliff guard's banner (hidden while nothing is
 *   limited); `offline` (optional) is shown while a relay gateway reports the robot offline;
 *   `paused` (optional) while the operator has paused the crowd
 * @param {{onLimits?: (limits: {maxLinear: number, maxAngular: number}) => void}} [callbacks] -
 *   called on every rendered status with its speed limits (m/s, rad/s)
 * @returns {{render: (status: object|null) => void}} render(parsed crowd/status); null is ignored
 */
export function createStatusPanel(els, { onLimits = () => {} } = {}) {
  const rows = new Map();
  for (const name of BIN_NAMES) {
    const li = document.createElement('li');
    li.setAttribute('data-testid', `hist-${name}`);
    li.innerHTML = `<span class="label">${GLYPHS[name]} ${LABELS[name]}</span>`
      + '<span class="track"><span class="fill"></span></span><span class="count">0</span>';
    els.histogram.appendChild(li);
    rows.set(name, { li, fill: li.querySelector('.fill'), count: li.querySelector('.count') });
  }
  let updates = 0;

  function renderBars(bars) {
    const maxCount = Math.max(...bars.map((b) => b.count));
    for (const bar of bars) {
      const row = rows.get(bar.name);
      row.fill.style.width = `${(bar.fraction * 100).toFixed(1)}%`;
      row.count.textContent = String(bar.count);
      row.li.classList.toggle('winner', bar.count > 0 && bar.count === maxCount);
      row.li.setAttribute('aria-label', `${LABELS[bar.name]}: ${bar.count}`);
    }
  }

  function renderCommand(view) {
    const shape = arrowShape(view.arrow);
    els.arrowLine.setAttribute('x2', shape.x2);
    els.arrowLine.setAttribute('y2', shape.y2);
    els.arrowHead.setAttribute('points', shape.head);
    const desc = `${LABELS[view.bin]} — ${view.command.linear.toFixed(2)} m/s, `
      + `${view.command.angular.toFixed(2)} rad/s`;
    els.commandText.textContent = desc;
    els.arrow.setAttribute('aria-label', `fused command: ${desc}`);
    els.arrow.dataset.bin = view.bin;
    els.arrow.dataset.length = view.arrow.length.toFixed(3);
  }

  function renderGuard(el, banner) {
    el.hidden = banner === null;
    el.dataset.state = banner ? banner.state : '';
    el.textContent = banner ? `${banner.text} — ${banner.hint}` : '';
  }

  return {
    render(status) {
      if (!status) return;
      const view = statusView(status);
      updates += 1;
      els.drivers.dataset.updates = String(updates);
      els.drivers.textContent = String(view.people);
      els.drivers.dataset.voters = String(view.voters);
      if (els.bots) els.bots.textContent = String(view.bots);
      if (els.botsBox) els.botsBox.hidden = view.bots === 0;
      els.operator.hidden = !view.operator;
      if (els.offline) els.offline.hidden = !view.robotOffline;
      if (els.paused) els.paused.hidden = !view.paused;
      els.strategy.textContent = view.strategy ? `strategy: ${view.strategy}` : '';
      els.falls.hidden = view.falls === null; // no sim, no count
      els.falls.textContent = view.falls === null ? '' : `falls: ${view.falls}`;
      if (els.guard) renderGuard(els.guard, guardBanner(status));
      renderBars(view.bars);
      renderCommand(view);
      onLimits(view.limits);
    },
  };
}
