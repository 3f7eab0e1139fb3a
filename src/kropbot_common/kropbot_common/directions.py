"""The crowd's direction names: 8 compass directions + stop (ROS-free).

Defined once here; the page's copy (``web/src/logic/commands.js``) is checked against it by a
test. Order: sector ``k`` of :data:`DIRECTIONS` is centred on ``k * 45`` degrees
counter-clockwise from ``forward`` in the plane of normalised ``(linear, angular)``; index 8 is
``stop``. Reversing uses the car convention (backing up while turning clockwise is
``back_left``), as the original KropBot's motor table. :data:`HISTOGRAM_KEYS` is the order of the
``crowd/status`` histogram (the contract's order).
"""

#: Direction names by sector index (0 = forward, +45 degrees per step), then ``stop``.
DIRECTIONS = ('forward', 'forward_left', 'left', 'back_right', 'back', 'back_left', 'right',
              'forward_right', 'stop')

#: Index of ``stop`` in :data:`DIRECTIONS`.
STOP = 8

#: Keys of the ``crowd/status`` histogram, in the contract's order.
HISTOGRAM_KEYS = ('forward', 'forward_left', 'left', 'back_left', 'back', 'back_right', 'right',
                  'forward_right', 'stop')
