"""Voter storage shared by the crowd cores (pure, ROS-free).

* :func:`withdrawn`: which stored voters a withdrawal names. A withdrawal
  (:mod:`kropbot_common.withdrawal`) names one voter id, or a prefix pattern ``<scope>/*``
  meaning every voter whose id starts with ``<scope>/``.
* :class:`VoterSlots`: voter id -> dense slot of preallocated numpy columns, the storage of
  :class:`kropbot_vote.fusion.VoteBook` and :class:`kropbot_vote.democracy.Democracy`.
"""

import numpy as np


def withdrawn(voter_id, stored):
    """Return the ids among ``stored`` that the withdrawal ``voter_id`` ends (a new list).

    Args:
        voter_id: one voter id, or a pattern ending in ``/*``.
        stored: a container of the stored voter ids (``in`` is used for one id, iteration for
            a pattern: O(1) for a dict or set and one id, O(len(stored)) for a pattern).

    """
    if voter_id.endswith('/*'):
        prefix = voter_id[:-1]
        return [v for v in stored if v.startswith(prefix)]
    return [voter_id] if voter_id in stored else []


class VoterSlots:
    """Voter id -> dense slot ``0 .. n-1`` of preallocated numpy columns. O(1) add and remove.

    Slots stay dense: removing one moves the last used slot into it (every column and the id),
    so each column's ``[:n]`` holds exactly the stored voters, ready for vectorised work. The
    caller writes a voter's values into the columns at the slot :meth:`add` returns.

    Args:
        capacity: slots at most, >= 1.
        **columns: column name -> numpy dtype (e.g. ``linear=float``); each column is an array
            of ``capacity`` zeros.

    Attributes:
        n: slots in use.
        ids: the voter id of each slot (a list; None beyond ``n``).
        slot: dict voter id -> slot.
        columns: dict column name -> array (the same arrays for the object's lifetime).

    """

    def __init__(self, capacity, **columns):
        self.capacity = int(capacity)
        self.columns = {name: np.zeros(self.capacity, dtype=dtype)
                        for name, dtype in columns.items()}
        self._arrays = tuple(self.columns.values())
        self.ids = [None] * self.capacity
        self.slot = {}
        self.n = 0

    def __len__(self):
        """Return the number of slots in use."""
        return self.n

    def add(self, voter_id):
        """Give ``voter_id`` (not stored yet) the next slot and return it; None when full."""
        if self.n == self.capacity:
            return None
        slot = self.n
        self.n += 1
        self.slot[voter_id] = slot
        self.ids[slot] = voter_id
        return slot

    def remove(self, voter_id):
        """Free ``voter_id``'s slot (it must be stored), moving the last used slot into it."""
        slot = self.slot.pop(voter_id)
        last = self.n - 1
        if slot != last:
            moved = self.ids[last]
            self.ids[slot] = moved
            self.slot[moved] = slot
            for array in self._arrays:
                array[slot] = array[last]
        self.ids[last] = None
        self.n = last

    def clear(self):
        """Free every slot; return how many were in use."""
        n = self.n
        self.slot.clear()
        self.ids[:n] = [None] * n
        self.n = 0
        return n
