// @vitest-environment happy-dom
// The cliff guard's banner (crowd/status `guard`, issue 14): pure view model and the panel.
import { describe, expect, it } from 'vitest';
import { GUARD_BANNERS, guardBanner } from '../src/logic/guard.js';
import { createStatusPanel } from '../src/ui/status.js';

const el = (tag = 'div') => document.createElement(tag);
const svg = (tag) => document.createElementNS('http://www.w3.org/2000/svg', tag);

describe('guardBanner', () => {
  it('names each state the guard reports, with how to get going again', () => {
    expect(guardBanner({ guard: 'cliff' })).toEqual({
      state: 'cliff', text: 'Stopped at an edge', hint: 'forward is blocked — drive back or turn away',
    });
    expect(guardBanner({ guard: 'stale' }).text).toBe('Safety sensor silent');
    expect(guardBanner({ guard: 'obstacle' }).text).toBe('Obstacle ahead');
    for (const banner of Object.values(GUARD_BANNERS)) expect(banner.hint).toMatch(/back|turn/);
  });

  it('shows nothing when clear, without a guard, or for anything unknown', () => {
    for (const status of [null, {}, { guard: null }, { guard: 'clear' }, { guard: 'toString' },
      { guard: '<b>x</b>' }, { guard: 3 }, { guard: ['cliff'] }, 'cliff']) {
      expect(guardBanner(status)).toBeNull();
    }
  });
});

describe('status panel guard banner', () => {
  it('appears at an edge and goes away when the crowd has backed off', () => {
    const els = {
      drivers: el('span'), operator: el(), strategy: el(), falls: el(), guard: el(),
      histogram: el('ul'), arrow: svg('svg'), arrowLine: svg('line'), arrowHead: svg('polygon'),
      commandText: el(),
    };
    els.guard.hidden = true;
    const panel = createStatusPanel(els);
    panel.render({ voters: 3, guard: 'cliff' });
    expect(els.guard.hidden).toBe(false);
    expect(els.guard.dataset.state).toBe('cliff');
    expect(els.guard.textContent).toBe('Stopped at an edge — forward is blocked — drive back or turn away');
    panel.render({ voters: 3, guard: 'obstacle' });
    expect(els.guard.dataset.state).toBe('obstacle');
    panel.render({ voters: 3, guard: null });
    expect(els.guard.hidden).toBe(true);
    expect(els.guard.textContent).toBe('');
  });

  it('works without a banner element (older pages)', () => {
    const els = {
      drivers: el('span'), operator: el(), strategy: el(), falls: el(), histogram: el('ul'),
      arrow: svg('svg'), arrowLine: svg('line'), arrowHead: svg('polygon'), commandText: el(),
    };
    expect(() => createStatusPanel(els).render({ guard: 'cliff' })).not.toThrow();
  });
});
