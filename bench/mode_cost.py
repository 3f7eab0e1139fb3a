"""Crowd modes: per-vote cost, tick cost and status cost of each mode (kropbot_vote.modes).

Pure Python/numpy, no ROS: a ModeController in each mode (vote, anarchy, democracy, queue)
takes a stream of re-votes from N voters (the common case: each voter holding a control
re-sends about once a second), the same ``add_vote`` call the vote node makes per received
vote; then ``tick`` (once per ``rate`` period) and the crowd/status keys (``mode_status``, once
per ``status_rate`` period) are timed with the N voters live. ``vote`` mode's per-vote cost is
the VoteBook's alone, so the other rows show what each mode adds per vote.

Run: ``python bench/mode_cost.py`` (``--voters 100,1000,10000``).
Target (bench/README.md): per-vote cost O(1) — flat in N — and <= 5 us in every mode
(thousands of votes/s take well under a tenth of a core).
"""

import random
import time

from common import int_list, parser, print_table, str_list, summary_ms, write_json
from kropbot_vote.fusion import VoteBook
from kropbot_vote.mode_status import mode_status
from kropbot_vote.modes import MODES, ModeController
from tqdm import tqdm

MAX_LINEAR, MAX_ANGULAR = 0.3, 1.5


def setup(mode, n, rng):
    """Return ``(controller, votes)``: ``n`` voters who voted once at t=0..0.1 s, in ``mode``."""
    book = VoteBook(max_voters=n, vote_timeout=3.0, max_linear=MAX_LINEAR,
                    max_angular=MAX_ANGULAR)
    c = ModeController(book, 0.0, mode=mode, democracy_window=2.0, turn_duration=30.0,
                       turn_idle_timeout=5.0)
    votes = [(f'ws-{i:012x}', rng.uniform(-MAX_LINEAR, MAX_LINEAR),
              rng.uniform(-MAX_ANGULAR, MAX_ANGULAR)) for i in range(n)]
    for i, (voter, v, w) in enumerate(votes):
        c.add_vote(voter, v, w, 0.1 * i / n)
    return c, votes


def time_votes(c, votes, count, t0, span):
    """Time ``count`` re-votes spread over ``span`` s from ``t0``; return s per vote."""
    n = len(votes)
    step = span / count
    stream = [votes[i % n] for i in range(count)]
    start = time.perf_counter()
    for i, (voter, v, w) in enumerate(stream):
        c.add_vote(voter, w / 5.0, v * 5.0, t0 + i * step)
    return (time.perf_counter() - start) / count


def time_calls(fn, count, t0, period):
    """Time ``count`` calls ``fn(t0 + k * period)``; return the list of durations (s)."""
    times = []
    for k in range(count):
        t = time.perf_counter()
        fn(t0 + k * period)
        times.append(time.perf_counter() - t)
    return times


def main():
    """Run the benchmark and print/write the results."""
    p = parser(__doc__.split('\n\n')[0], 'mode_cost')
    p.add_argument('--voters', type=int_list, default=[100, 1000, 10000],
                   help='live voters (comma-separated)')
    p.add_argument('--modes', type=str_list, default=list(MODES), help='modes')
    p.add_argument('--votes', type=int, default=200000, help='re-votes timed per config')
    p.add_argument('--ticks', type=int, default=200, help='ticks and statuses timed per config')
    p.add_argument('--seed', type=int, default=1)
    args = p.parse_args()
    if args.short:
        args.voters, args.votes, args.ticks = [100, 1000], 5000, 20
    rng = random.Random(args.seed)
    rows = []
    jobs = [(n, m) for n in args.voters for m in args.modes]
    for n, mode in tqdm(jobs, desc='modes', unit='config'):
        c, votes = setup(mode, n, rng)
        per_vote = time_votes(c, votes, args.votes, 0.2, 1.0)  # every voter stays live
        ticks = time_calls(c.tick, args.ticks, 1.2, 0.001)
        statuses = time_calls(lambda t, c=c: mode_status(c, t), args.ticks, 1.4, 0.001)
        assert c.book.fuse(1.5).voters == n, 'every voter must still be live'
        tick, status = summary_ms(ticks), summary_ms(statuses)
        rows.append({'mode': mode, 'voters': n, 'votes': args.votes,
                     'vote_us': per_vote * 1e6, 'votes_per_s': 1.0 / per_vote,
                     'tick_median_ms': tick['p50_ms'], 'tick_p95_ms': tick['p95_ms'],
                     'status_median_ms': status['p50_ms'], 'status_p95_ms': status['p95_ms']})
    print_table('Crowd mode cost: per vote (add_vote), per tick and per status',
                ['mode', 'voters', 'votes', 'vote_us', 'votes_per_s', 'tick_median_ms',
                 'tick_p95_ms', 'status_median_ms', 'status_p95_ms'], rows)
    write_json(args.json, 'mode_cost',
               {'voters': args.voters, 'modes': args.modes, 'votes': args.votes,
                'ticks': args.ticks, 'short': args.short,
                'target': 'vote_us flat in voters and <= 5 us in every mode'}, rows)


if __name__ == '__main__':
    main()
