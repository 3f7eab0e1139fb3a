import { describe, expect, it } from 'vitest';
import { Controls } from '../src/logic/controls.js';
import { VoteScheduler } from '../src/logic/votes.js';

function setup() {
  const sent = [];
  const votes = new VoteScheduler({ send: (cmd) => sent.push(cmd) > 0 });
  return { controls: new Controls({ votes }), sent };
}

describe('Controls', () => {
  it('turns held buttons into commands with the default limits', () => {
    const { controls, sent } = setup();
    controls.setButton('pad', 'forward', 0);
    expect(sent).toEqual([{ linear: 0.3, angular: 0 }]);
    controls.setButton('pad', null, 100);
    expect(sent.at(-1)).toEqual({ linear: 0, angular: 0 });
  });

  it('lets the latest pressed source win across pad and keyboard', () => {
    const { controls, sent } = setup();
    controls.setButton('pad', 'forward', 0);
    controls.setButton('keyboard', 'left', 300);
    expect(sent.at(-1)).toEqual({ linear: 0, angular: 1.5 });
    controls.setButton('keyboard', null, 600);
    expect(sent.at(-1)).toEqual({ linear: 0.3, angular: 0 }); // back to the pad, no stop
  });

  it('re-applies held buttons when the limits change, and only then', () => {
    const { controls, sent } = setup();
    controls.setButton('pad', 'forward', 0);
    expect(controls.setLimits({ maxLinear: 0.3, maxAngular: 1.5 }, 400)).toBe(false);
    expect(sent).toHaveLength(1);
    expect(controls.setLimits({ maxLinear: 0.5, maxAngular: 2 }, 500)).toBe(true);
    expect(sent.at(-1)).toEqual({ linear: 0.5, angular: 0 });
    controls.setButton('keyboard', 'right', 900);
    expect(sent.at(-1)).toEqual({ linear: 0, angular: -2 });
  });

  it('drives proportionally from the gamepads and releases when the stick centres', () => {
    const { controls, sent } = setup();
    controls.setGamepads([{ connected: true, axes: [0, -0.5] }], 0);
    expect(sent.at(-1).linear).toBeCloseTo(0.15);
    controls.setGamepads([{ connected: true, axes: [0, 0] }], 300);
    expect(sent.at(-1)).toEqual({ linear: 0, angular: 0 });
  });

  it('releaseAll sends one stop and forgets the buttons for later limit changes', () => {
    const { controls, sent } = setup();
    controls.setButton('pad', 'forward', 0);
    controls.setButton('keyboard', 'back', 300);
    controls.releaseAll(600);
    expect(sent.at(-1)).toEqual({ linear: 0, angular: 0 });
    const n = sent.length;
    controls.setLimits({ maxLinear: 1, maxAngular: 1 }, 700);
    expect(sent).toHaveLength(n);
  });

  it('refuses an unknown button without changing anything', () => {
    const { controls, sent } = setup();
    controls.setButton('pad', 'forward', 0);
    expect(() => controls.setButton('pad', 'sideways', 300)).toThrow(RangeError);
    controls.setLimits({ maxLinear: 0.6, maxAngular: 1.5 }, 400);
    expect(sent.at(-1)).toEqual({ linear: 0.6, angular: 0 }); // still the forward button
  });
});
