import { describe, expect, it } from 'vitest';
import {
  BIN_NAMES, BUTTONS, SECTOR_NAMES, STOP_NAME, buttonCommand, commandChanged, gamepadCommand,
  intentsToButton, keyIntent, normaliseLimits, sectorOf, stickCommand, voteMessage,
} from '../src/logic/commands.js';
import { commandBin } from '../src/logic/status.js';

const L = { maxLinear: 0.3, maxAngular: 1.5 };

describe('direction names', () => {
  it('BUTTONS and SECTOR_NAMES name exactly the BIN_NAMES', () => {
    expect(new Set(BIN_NAMES).size).toBe(9);
    expect([...BUTTONS.map((b) => b.name)].sort()).toEqual([...BIN_NAMES].sort());
    expect([...SECTOR_NAMES, STOP_NAME].sort()).toEqual([...BIN_NAMES].sort());
    expect(STOP_NAME).toBe('stop');
  });

  it('orders SECTOR_NAMES by 45° sector, counter-clockwise from forward (car convention)', () => {
    // The same order as kropbot_common.directions.DIRECTIONS.
    expect(SECTOR_NAMES).toEqual([
      'forward', 'forward_left', 'left', 'back_right', 'back', 'back_left', 'right',
      'forward_right',
    ]);
  });

  it('puts sector boundaries at ±22.5° like the vote node', () => {
    const deg = (d) => (d * Math.PI) / 180;
    expect(sectorOf(deg(0))).toBe(0);
    expect(sectorOf(deg(22.4))).toBe(0);
    expect(sectorOf(deg(22.5))).toBe(1); // floor((a + 22.5) / 45)
    expect(sectorOf(deg(-22.5))).toBe(0);
    expect(sectorOf(deg(-22.6))).toBe(7);
    expect(sectorOf(deg(180))).toBe(4);
    expect(sectorOf(deg(-180))).toBe(4);
    expect(sectorOf(deg(-135))).toBe(5);
  });

  it('lays the pad out as a 3x3 grid with stop in the centre', () => {
    expect(BUTTONS).toHaveLength(9);
    expect(BUTTONS[4].name).toBe(STOP_NAME);
    for (const [i, b] of BUTTONS.entries()) {
      const row = Math.floor(i / 3);
      // Top row drives forward, bottom row backward; the middle row turns on the spot.
      expect(Math.sign(b.v)).toBe(1 - row);
    }
  });
});

describe('buttonCommand', () => {
  it('matches the shared per-button table', () => {
    expect(buttonCommand('forward', L)).toEqual({ linear: 0.3, angular: 0 });
    expect(buttonCommand('left', L)).toEqual({ linear: 0, angular: 1.5 });
    expect(buttonCommand('right', L)).toEqual({ linear: 0, angular: -1.5 });
    expect(buttonCommand('back', L)).toEqual({ linear: -0.3, angular: 0 });
    expect(buttonCommand('stop', L)).toEqual({ linear: 0, angular: 0 });
    const bl = buttonCommand('back_left', L);
    expect(bl.linear).toBeCloseTo(-0.21);
    expect(bl.angular).toBeCloseTo(-1.05);
    const br = buttonCommand('back_right', L);
    expect(br.linear).toBeCloseTo(-0.21);
    expect(br.angular).toBeCloseTo(1.05);
  });

  it('lands every button in its own direction bin', () => {
    for (const b of BUTTONS) {
      const c = buttonCommand(b.name, L);
      expect(commandBin(c.linear, c.angular, L)).toBe(b.name);
    }
  });

  it('scales with the limits and falls back to defaults on bad limits', () => {
    expect(buttonCommand('forward', { maxLinear: 1, maxAngular: 2 }).linear).toBe(1);
    expect(buttonCommand('forward', { maxLinear: -1, maxAngular: NaN }).linear).toBe(0.3);
    expect(normaliseLimits(undefined)).toEqual(L);
  });

  it('rejects unknown buttons', () => {
    expect(() => buttonCommand('sideways', L)).toThrow(RangeError);
  });
});

describe('keyboard', () => {
  it('maps arrows, WASD and space', () => {
    expect(keyIntent('ArrowUp')).toBe('up');
    expect(keyIntent('W')).toBe('up');
    expect(keyIntent('a')).toBe('left');
    expect(keyIntent(' ')).toBe('stop');
    expect(keyIntent('q')).toBeNull();
  });

  it('combines keys into diagonals and cancels opposites', () => {
    expect(intentsToButton(['up'])).toBe('forward');
    expect(intentsToButton(['up', 'left'])).toBe('forward_left');
    expect(intentsToButton(['up', 'right'])).toBe('forward_right');
    expect(intentsToButton(['down', 'left'])).toBe('back_left');
    expect(intentsToButton(['down', 'right'])).toBe('back_right');
    expect(intentsToButton(['left'])).toBe('left');
    expect(intentsToButton(['up', 'down'])).toBeNull();
    expect(intentsToButton(['up', 'down', 'left'])).toBe('left');
    expect(intentsToButton(['up', 'stop'])).toBe('stop');
    expect(intentsToButton([])).toBeNull();
  });
});

describe('gamepadCommand', () => {
  it('is proportional: stick up = forward, stick left = turn left', () => {
    expect(gamepadCommand([0, -1], L)).toEqual({ linear: 0.3, angular: 0 });
    expect(gamepadCommand([-1, 0], L)).toEqual({ linear: 0, angular: 1.5 });
    const half = gamepadCommand([0.5, 0.5], L);
    expect(half.linear).toBeCloseTo(-0.15);
    expect(half.angular).toBeCloseTo(-0.75);
  });

  it('returns null inside the deadzone and clamps out-of-range axes', () => {
    expect(gamepadCommand([0.05, -0.1], L)).toBeNull();
    expect(gamepadCommand([], L)).toBeNull();
    expect(gamepadCommand([0, -3], L)).toEqual({ linear: 0.3, angular: 0 });
    expect(gamepadCommand([NaN, -1], L)).toEqual({ linear: 0.3, angular: 0 });
  });
});

describe('stickCommand', () => {
  it('takes the first connected gamepad with a deflected stick', () => {
    const idle = { connected: true, axes: [0, 0] };
    const gone = { connected: false, axes: [0, -1] };
    const left = { connected: true, axes: [-1, 0] };
    const fwd = { connected: true, axes: [0, -1] };
    expect(stickCommand([null, idle, gone, left, fwd], L)).toEqual({ linear: 0, angular: 1.5 });
    expect(stickCommand([idle, gone, null], L)).toBeNull();
    expect(stickCommand([], L)).toBeNull();
    expect(stickCommand(undefined, L)).toBeNull();
  });
});

describe('messages', () => {
  it('builds a TwistStamped with an empty frame_id by default (the gateway assigns it)', () => {
    const m = voteMessage({ linear: 0.3, angular: -1.5 }, 1700000000123);
    expect(m.header).toEqual({ stamp: { sec: 1700000000, nanosec: 123000000 }, frame_id: '' });
    expect(m.twist).toEqual({ linear: { x: 0.3, y: 0, z: 0 }, angular: { x: 0, y: 0, z: -1.5 } });
  });

  it('carries the voter id in header.frame_id when given (stock rosbridge mode)', () => {
    const m = voteMessage({ linear: 0, angular: 0 }, 1000, 'tab-1234');
    expect(m.header.frame_id).toBe('tab-1234');
    expect(m.header.stamp).toEqual({ sec: 1, nanosec: 0 });
  });

  it('detects changes relative to the limits', () => {
    expect(commandChanged(null, { linear: 0, angular: 0 }, L)).toBe(true);
    expect(commandChanged({ linear: 0.1, angular: 0 }, { linear: 0.101, angular: 0 }, L))
      .toBe(false);
    expect(commandChanged({ linear: 0.1, angular: 0 }, { linear: 0.2, angular: 0 }, L)).toBe(true);
  });
});
