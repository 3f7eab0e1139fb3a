import { describe, expect, it } from 'vitest';
import { ARROW_SIZE, arrowShape } from '../src/logic/arrow.js';
import { commandArrow } from '../src/logic/status.js';

const L = { maxLinear: 0.3, maxAngular: 1.5 };
const points = (head) => head.split(' ').map((p) => p.split(',').map(Number));

describe('arrowShape', () => {
  it('draws a full forward arrow straight up (SVG y is down)', () => {
    const s = arrowShape(commandArrow(0.3, 0, L));
    expect(s.x2).toBe('0.00');
    expect(s.y2).toBe('-32.00');
    // Tip 3 units beyond the line end, base 9 units behind it, 6 units either side.
    expect(points(s.head)).toEqual([[0, -35], [6, -23], [-6, -23]]);
  });

  it('scales the line with the command magnitude', () => {
    const s = arrowShape(commandArrow(0.15, 0, L));
    expect(Number(s.y2)).toBeCloseTo(-16);
    expect(points(s.head)[0][1]).toBeCloseTo(-19);
  });

  it('points down-left for back_left and is symmetric about the line', () => {
    const a = commandArrow(-0.21, -1.05, L);
    const s = arrowShape(a);
    const x2 = Number(s.x2);
    const y2 = Number(s.y2);
    expect(x2).toBeLessThan(0);
    expect(y2).toBeGreaterThan(0); // down on screen
    const [tip, p1, p2] = points(s.head);
    const len = Math.hypot(x2, y2);
    const u = [x2 / len, y2 / len];
    // The tip lies on the line's extension; both base corners are 6 units off it, 9 behind.
    expect(tip[0]).toBeCloseTo(x2 + u[0] * ARROW_SIZE.overshoot, 1);
    expect(tip[1]).toBeCloseTo(y2 + u[1] * ARROW_SIZE.overshoot, 1);
    const cross = (p) => (p[0] - x2) * u[1] - (p[1] - y2) * u[0];
    const along = (p) => (p[0] - x2) * u[0] + (p[1] - y2) * u[1];
    expect(Math.abs(cross(p1))).toBeCloseTo(6, 1);
    expect(cross(p1)).toBeCloseTo(-cross(p2), 1);
    expect(along(p1)).toBeCloseTo(-9, 1);
    expect(along(p2)).toBeCloseTo(-9, 1);
  });

  it('draws no head for a zero command', () => {
    expect(arrowShape(commandArrow(0, 0, L))).toEqual({ x2: '0.00', y2: '0.00', head: '0,0' });
  });

  it('accepts other sizes', () => {
    const s = arrowShape({ dx: 1, dy: 0, length: 1 }, { ...ARROW_SIZE, radius: 10 });
    expect(s.x2).toBe('10.00');
    expect(points(s.head)[0]).toEqual([13, 0]);
  });
});
