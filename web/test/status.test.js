import { describe, expect, it } from 'vitest';
import { commandArrow, commandBin, parseStatus, statusView } from '../src/logic/status.js';
import { formatAge, imageBytes, imageMime, stampToMs } from '../src/logic/frame.js';

const L = { maxLinear: 0.3, maxAngular: 1.5 };

describe('commandBin', () => {
  it('follows the shared sector convention', () => {
    expect(commandBin(0.3, 0, L)).toBe('forward');
    expect(commandBin(0.3, 1.5, L)).toBe('forward_left');
    expect(commandBin(0, 1.5, L)).toBe('left');
    expect(commandBin(-0.3, 1.5, L)).toBe('back_right');
    expect(commandBin(-0.3, 0, L)).toBe('back');
    expect(commandBin(-0.3, -1.5, L)).toBe('back_left');
    expect(commandBin(0, -1.5, L)).toBe('right');
    expect(commandBin(0.3, -1.5, L)).toBe('forward_right');
    expect(commandBin(0.03, 0.15, L)).toBe('stop');
  });
});

describe('commandArrow', () => {
  it('points where the pad button of the same bin sits', () => {
    const up = commandArrow(0.3, 0, L);
    expect(up.dx).toBeCloseTo(0);
    expect(up.dy).toBeCloseTo(1);
    expect(up.angleDeg).toBeCloseTo(0);
    const bl = commandArrow(-0.21, -1.05, L); // back_left: down-left on screen
    expect(bl.dx).toBeLessThan(0);
    expect(bl.dy).toBeLessThan(0);
    const br = commandArrow(-0.21, 1.05, L); // back_right: down-right
    expect(br.dx).toBeGreaterThan(0);
    expect(br.dy).toBeLessThan(0);
    const fl = commandArrow(0.21, 1.05, L); // forward_left: up-left
    expect(fl.dx).toBeLessThan(0);
    expect(fl.dy).toBeGreaterThan(0);
    expect(commandArrow(0, -1.5, L).angleDeg).toBeCloseTo(90);
  });

  it('has a length proportional to the normalised magnitude, capped at 1', () => {
    expect(commandArrow(0.15, 0, L).length).toBeCloseTo(0.5);
    expect(commandArrow(0.3, 1.5, L).length).toBe(1);
    expect(commandArrow(0, 0, L)).toEqual({ dx: 0, dy: 0, length: 0, angleDeg: 0 });
  });
});

describe('statusView', () => {
  const status = {
    voters: 3,
    histogram: { forward: 2, left: 1, stop: 0 },
    command: { linear: 0.2, angular: 0.2 },
    strategy: 'mean',
    operator: true,
    max_linear: 0.4,
    max_angular: 2.0,
    stamp: 12.5,
  };

  it('builds bars, arrow, limits and flags', () => {
    const v = statusView(status);
    expect(v.voters).toBe(3);
    expect(v.bars.map((b) => b.name)[0]).toBe('forward');
    expect(v.bars.find((b) => b.name === 'forward')).toEqual({
      name: 'forward', count: 2, fraction: 2 / 3,
    });
    expect(v.bars.find((b) => b.name === 'back').count).toBe(0);
    expect(v.limits).toEqual({ maxLinear: 0.4, maxAngular: 2.0 });
    expect(v.operator).toBe(true);
    expect(v.bin).toBe('forward');
    expect(v.arrow.length).toBeCloseTo(Math.hypot(0.5, 0.1));
    expect(v.falls).toBeNull(); // no sim
  });

  it('takes the sim fall count only as a non-negative integer', () => {
    expect(statusView({ falls: 0 }).falls).toBe(0);
    expect(statusView({ falls: 7 }).falls).toBe(7);
    for (const bad of [null, -1, 1.5, '3', NaN, Infinity, 2 ** 60, {}]) {
      expect(statusView({ falls: bad }).falls).toBeNull();
    }
  });

  it('tolerates garbage', () => {
    expect(parseStatus('not json')).toBeNull();
    expect(parseStatus('[1,2]')).toBeNull();
    const v = statusView({ histogram: { forward: 'x', left: -3 }, command: null });
    expect(v.voters).toBe(0);
    expect(v.bars.every((b) => b.count === 0 && b.fraction === 0)).toBe(true);
    expect(v.limits).toEqual(L);
    expect(v.operator).toBe(false);
    expect(v.bin).toBe('stop');
    expect(v.robotOffline).toBe(false);
  });

  it('flags a robot reported offline by a relay gateway, and only that value', () => {
    expect(statusView({ ...status, robot: 'offline', voters: 0 }).robotOffline).toBe(true);
    expect(statusView({ ...status, robot: 'online' }).robotOffline).toBe(false);
    expect(statusView(status).robotOffline).toBe(false); // the robot's own gateway: no key
    expect(statusView({ robot: 'OFFLINE' }).robotOffline).toBe(false);
    expect(statusView(null).robotOffline).toBe(false);
  });
});

describe('frame helpers', () => {
  it('converts stamps', () => {
    expect(stampToMs({ sec: 2, nanosec: 500000000 })).toBe(2500);
    expect(stampToMs({ sec: 0, nanosec: 0 })).toBeNull();
    expect(stampToMs(undefined)).toBeNull();
  });

  it('accepts CBOR bytes, base64 and arrays', () => {
    expect(imageBytes(new Uint8Array([1, 2]))).toEqual(new Uint8Array([1, 2]));
    expect(imageBytes('AQID')).toEqual(new Uint8Array([1, 2, 3]));
    expect(imageBytes([255, 216])).toEqual(new Uint8Array([255, 216]));
    expect(imageBytes('')).toBeNull();
    expect(imageBytes(undefined)).toBeNull();
  });

  it('picks the MIME type and formats ages', () => {
    expect(imageMime('bgr8; jpeg compressed bgr8')).toBe('image/jpeg');
    expect(imageMime('png')).toBe('image/png');
    expect(formatAge(null)).toBe('—');
    expect(formatAge(42.4)).toBe('42 ms');
    expect(formatAge(25000)).toBe('25 s');
  });
});
