import { describe, expect, it } from 'vitest';
import { PressOrder } from '../src/logic/press-order.js';

describe('PressOrder', () => {
  it('lets the latest press win and falls back to the previous one on release', () => {
    const p = new PressOrder();
    expect(p.latest()).toBeNull();
    p.press(1, 'forward');
    p.press(2, 'left');
    expect(p.latest()).toBe('left');
    expect(p.release(2)).toBe(true);
    expect(p.latest()).toBe('forward');
    expect(p.release(2)).toBe(false);
  });

  it('moves a key pressed again to the newest place', () => {
    const p = new PressOrder();
    p.press(1, 'forward');
    p.press(2, 'left');
    p.press(1, 'back');
    expect(p.latest()).toBe('back');
    expect(p.values()).toEqual(new Set(['left', 'back']));
  });

  it('clears and says whether anything was held', () => {
    const p = new PressOrder();
    expect(p.clear()).toBe(false);
    p.press('a', 'stop');
    expect(p.clear()).toBe(true);
    expect(p.latest()).toBeNull();
    expect(p.values().size).toBe(0);
  });
});
