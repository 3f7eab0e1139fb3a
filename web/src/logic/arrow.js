/**
 * SVG geometry of the fused-command arrow in the compass widget (pure).
 *
 * The compass is an SVG with viewBox "-50 -50 100 100" (origin at the centre, +y down, ring
 * radius 46). The arrow is a line from the centre to the tip plus a triangular head whose tip
 * overshoots the line's end slightly, so the round line cap hides inside the head.
 */

/** Arrow dimensions in viewBox units: full length, head length and half width, tip overshoot. */
export const ARROW_SIZE = Object.freeze({ radius: 32, headLength: 9, headHalfWidth: 6, overshoot: 3 });

const fmt = (x) => x.toFixed(2);

/**
 * Line end and head polygon for an arrow from statusView().arrow.
 *
 * @param {{dx: number, dy: number, length: number}} arrow - dx right-positive, dy up-positive,
 *   in units of the full length; length in [0, 1] (0 = no arrow)
 * @param {typeof ARROW_SIZE} [size] - viewBox units
 * @returns {{x2: string, y2: string, head: string}} the line's `x2`/`y2` attributes and the
 *   polygon's `points` attribute ('0,0' when length is 0), numbers with 2 decimals, SVG y down
 */
export function arrowShape(arrow, size = ARROW_SIZE) {
  const { dx, dy, length } = arrow;
  const tipX = dx * size.radius;
  const tipY = -dy * size.radius;
  if (!(length > 0)) return { x2: fmt(tipX), y2: fmt(tipY), head: '0,0' };
  // Unit vector along the arrow in SVG coordinates, and the head's base centre behind the tip.
  const ux = dx / length;
  const uy = -dy / length;
  const bx = tipX - ux * size.headLength;
  const by = tipY - uy * size.headLength;
  const h = size.headHalfWidth;
  const head = [
    [tipX + ux * size.overshoot, tipY + uy * size.overshoot],
    [bx - uy * h, by + ux * h],
    [bx + uy * h, by - ux * h],
  ].map(([x, y]) => `${fmt(x)},${fmt(y)}`).join(' ');
  return { x2: fmt(tipX), y2: fmt(tipY), head };
}
