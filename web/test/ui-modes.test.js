// @vitest-environment happy-dom
// The crowd-mode panel (ui/modes.js) on the real index.html section, clock injected.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeEach, describe, expect, it } from 'vitest';
import { BIN_NAMES } from '../src/logic/commands.js';
import { voterToken } from '../src/logic/modes.js';
import { createModesPanel } from '../src/ui/modes.js';

const html = readFileSync(join(dirname(fileURLToPath(import.meta.url)), '..', 'index.html'), 'utf8');
const body = html.slice(html.indexOf('<body>') + 6, html.indexOf('</body>'))
  .replace(/<script[\s\S]*?<\/script>/g, '');
const testid = (id) => document.querySelector(`[data-testid="${id}"]`);
const ME = voterToken('tab-me');

function setup(opts = {}) {
  const clock = { t: 1000 };
  const panel = createModesPanel(testid('modes'), {
    pad: testid('pad'), now: () => clock.t, ...opts,
  });
  return { panel, clock };
}

beforeEach(() => {
  document.body.innerHTML = body;
});

describe('modes panel', () => {
  it('shows vote mode by default and builds one tally row per bin', () => {
    const { panel } = setup();
    panel.render({ voters: 0, strategy: 'mean' });
    expect(testid('modes').dataset.mode).toBe('vote');
    expect(testid('mode-name').textContent).toBe('vote');
    expect(testid('democracy-tally').hidden).toBe(true);
    expect(testid('mode-meter').hidden).toBe(true);
    expect([...testid('democracy-tally').children].map((li) => li.dataset.testid))
      .toEqual(BIN_NAMES.map((n) => `tally-${n}`));
    expect(testid('pad').dataset.padState).toBe('drive');
    expect(testid('mode-hint').hidden).toBe(true);
  });

  it('democracy: tally, leader and a countdown that runs between statuses', () => {
    const { panel, clock } = setup();
    panel.render({
      mode: 'democracy',
      democracy: { time_left: 1.8, tally: { left: 2, back: 1 }, votes: 3, leading: 'left',
        executing: 'stop' },
    });
    expect(testid('democracy-tally').hidden).toBe(false);
    expect(testid('tally-left').classList.contains('winner')).toBe(true);
    expect(testid('tally-left').querySelector('.count').textContent).toBe('2');
    expect(testid('mode-detail').textContent).toMatch(/^next decision in 1\.8 s: left leads/);
    clock.t += 1000;
    panel.tick();
    expect(testid('mode-detail').textContent).toMatch(/^next decision in 0\.8 s/);
  });

  it('queue: the client\'s own position from its token; the pad waits, then drives', () => {
    const { panel } = setup({ clientToken: ME });
    const queue = (driver, waiting) => ({
      mode: 'queue',
      queue: { turn_duration: 30, driver, turn_left: 20, idle_left: null, length: waiting.length,
        waiting },
    });
    panel.render(queue(voterToken('tab-other'), [voterToken('tab-x'), ME]));
    expect(testid('modes').dataset.queueRole).toBe('waiting');
    expect(testid('modes').dataset.queuePosition).toBe('2');
    expect(testid('mode-detail').textContent).toBe('your turn in 0:50 (position 2 of 2)');
    expect(testid('pad').dataset.padState).toBe('wait');
    expect(testid('pad').getAttribute('aria-disabled')).toBe('true');
    expect(testid('mode-hint').hidden).toBe(false);
    panel.render(queue(ME, []));
    expect(testid('modes').dataset.queueRole).toBe('driver');
    expect(testid('pad').dataset.padState).toBe('drive');
    expect(testid('pad').getAttribute('aria-disabled')).toBe('false');
    // the gateway's crowd/you wins over the client's own token
    panel.setYou({ you: voterToken('tab-x'), counted: true });
    panel.render(queue(voterToken('tab-x'), [ME]));
    expect(testid('modes').dataset.queueRole).toBe('driver');
    panel.setYou(null);
    expect(testid('modes').dataset.queueRole).toBe('waiting');
    panel.setOperator(true); // the operator's pad drives teleop/cmd_vel in every mode
    expect(testid('pad').dataset.padState).toBe('drive');
    expect(testid('mode-hint').hidden).toBe(true);
    panel.setOperator(false);
    expect(testid('pad').dataset.padState).toBe('wait');
    panel.render({ mode: 'vote' });
    expect(testid('modes').dataset.queueRole).toBeUndefined();
  });

  it('meter: fill, threshold mark and mode votes (a second click withdraws)', () => {
    const chosen = [];
    const { panel } = setup({ onModeVote: (m) => chosen.push(m) });
    panel.render({
      mode: 'anarchy',
      switch: { enabled: true, active: true, anarchy: 1, democracy: 1, threshold: 0.75,
        cooldown_left: 0 },
    });
    expect(testid('mode-meter').hidden).toBe(false);
    expect(testid('meter-fill').style.width).toBe('50.0%');
    expect(testid('meter-threshold').style.left).toBe('25.0%');
    expect(testid('mode-meter').getAttribute('aria-valuenow')).toBe('50');
    testid('mode-vote-democracy').click();
    expect(testid('mode-vote-democracy').getAttribute('aria-pressed')).toBe('true');
    testid('mode-vote-anarchy').click();
    testid('mode-vote-anarchy').click();
    expect(chosen).toEqual(['democracy', 'anarchy', null]);
    expect(testid('mode-vote-anarchy').getAttribute('aria-pressed')).toBe('false');
  });

  it('crowd/you: the token behind the gateway, and the "watching only" note', () => {
    const { panel } = setup(); // no client token: behind the gateway
    const you = voterToken('ws-000000000001');
    panel.render({ mode: 'queue', queue: { turn_duration: 30, driver: null, turn_left: null,
      idle_left: null, length: 2, waiting: [voterToken('ws-x'), you] } });
    expect(testid('modes').dataset.queueRole).toBe('unknown');
    expect(testid('watching').hidden).toBe(true);
    panel.setYou({ you, role: 'crowd', counted: false, why: 'too many voters' });
    expect(testid('modes').dataset.queuePosition).toBe('2');
    expect(testid('mode-detail').textContent).toBe('your turn in 0:30 (position 2 of 2)');
    expect(testid('watching').hidden).toBe(false);
    expect(testid('watching').textContent).toMatch(/^You are watching: too many voters from your network/);
    panel.setYou({ you, role: 'crowd', counted: true, why: null });
    expect(testid('watching').hidden).toBe(true);
  });

  it('without a mode-vote callback the meter\'s buttons are disabled; null is ignored', () => {
    const { panel } = setup();
    expect(testid('mode-vote-anarchy').disabled).toBe(true);
    panel.render(null);
    panel.tick();
    expect(testid('modes').dataset.mode).toBe('vote'); // untouched initial markup
  });
});
