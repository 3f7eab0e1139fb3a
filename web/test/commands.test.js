import { describe, expect, it } from 'vitest';
import {
  BUTTONS, buttonCommand, commandChanged, gamepadCommand, intentsToButton, keyIntent,
  normaliseLimits, voteMessage,
} from '../src/logic/commands.js';
import { commandBin } from '../src/logic/status.js';

const L = { maxLinear: 0.3, maxAngular: 1.5 };

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

describe('messages', () => {
  it('builds a TwistStamped with an empty frame_id', () => {
    const m = voteMessage({ linear: 0.3, angular: -1.5 }, 1700000000123);
    expect(m.header).toEqual({ stamp: { sec: 1700000000, nanosec: 123000000 }, frame_id: '' });
    expect(m.twist.linear.x).toBe(0.3);
    expect(m.twist.angular.z).toBe(-1.5);
  });

  it('detects changes relative to the limits', () => {
    expect(commandChanged(null, { linear: 0, angular: 0 }, L)).toBe(true);
    expect(commandChanged({ linear: 0.1, angular: 0 }, { linear: 0.101, angular: 0 }, L))
      .toBe(false);
    expect(commandChanged({ linear: 0.1, angular: 0 }, { linear: 0.2, angular: 0 }, L)).toBe(true);
  });
});
