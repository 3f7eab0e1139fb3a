"""Fusion scaling: time of one vote-fusion tick (kropbot_vote.fusion.VoteBook) vs live voters.

Pure Python/numpy, no ROS: fills a VoteBook with N live voters (votes spread over every
direction bin), then times ``VoteBook.fuse`` once per tick for each strategy, the same call the
vote node makes at ``rate`` Hz. Also reports the cost of one ``VoteBook.add`` (a vote arriving).

Run: ``python bench/fusion_scaling.py`` (``--voters 10,1000,10000,100000``).
Target (bench/README.md): fusion tick <= 2 ms at 10k voters.
"""

import random
import time

from common import int_list, parser, print_table, str_list, summary_ms, write_json
from kropbot_vote.fusion import STRATEGIES, VoteBook
from tqdm import tqdm

MAX_LINEAR, MAX_ANGULAR = 0.3, 1.5


def fill_book(n, rng):
    """Return ``(book, add_new_s, add_revote_s)``: a VoteBook with ``n`` live random voters.

    ``add_new_s`` / ``add_revote_s``: time per ``add`` of a new voter and of a re-vote (s).
    """
    book = VoteBook(max_voters=n, vote_timeout=3600.0, max_linear=MAX_LINEAR,
                    max_angular=MAX_ANGULAR)
    votes = [(f'ws-{i:012x}', rng.uniform(-MAX_LINEAR, MAX_LINEAR),
              rng.uniform(-MAX_ANGULAR, MAX_ANGULAR)) for i in range(n)]
    t0 = time.perf_counter()
    for i, (voter, v, w) in enumerate(votes):
        book.add(voter, v, w, 1e-6 * i)
    t1 = time.perf_counter()
    # Re-votes (the common case at 2 Hz per voter): replace existing slots.
    t2 = time.perf_counter()
    for i, (voter, v, w) in enumerate(votes):
        book.add(voter, w / 5.0, v * 5.0, 1.0 + 1e-6 * i)
    t3 = time.perf_counter()
    return book, (t1 - t0) / n, (t3 - t2) / n


def main():
    """Run the benchmark and print/write the results."""
    p = parser(__doc__.split('\n\n')[0], 'fusion_scaling')
    p.add_argument('--voters', type=int_list, default=[10, 1000, 10000, 100000],
                   help='live voters per tick (comma-separated)')
    p.add_argument('--strategies', type=str_list, default=list(STRATEGIES),
                   help='fusion strategies')
    p.add_argument('--ticks', type=int, default=0,
                   help='ticks timed per (voters, strategy); 0 = about 0.5 s worth, 20..2000')
    p.add_argument('--seed', type=int, default=1)
    args = p.parse_args()
    if args.short:
        args.voters, args.ticks = [10, 1000], 20
    rng = random.Random(args.seed)
    rows = []
    jobs = [(n, s) for n in args.voters for s in args.strategies]
    filled_for = None
    for n, strategy in tqdm(jobs, desc='fusion', unit='config'):
        if n != filled_for:  # jobs are grouped by n: one book per voter count
            filled_for = n
            book, add_new, add_re = fill_book(n, rng)
        now = 2.0
        book.fuse(now, strategy)  # warm-up
        t = time.perf_counter()
        book.fuse(now, strategy)
        one = time.perf_counter() - t
        ticks = args.ticks or max(20, min(2000, int(0.5 / max(one, 1e-6))))
        times = []
        for i in range(ticks):
            t = time.perf_counter()
            fused = book.fuse(now + 1e-6 * i, strategy)
            times.append(time.perf_counter() - t)
        assert fused.voters == n, (fused.voters, n)
        s = summary_ms(times)
        rows.append({'voters': n, 'strategy': strategy, 'ticks': ticks,
                     'median_ms': s['p50_ms'], 'p95_ms': s['p95_ms'], 'max_ms': s['max_ms'],
                     'add_new_us': add_new * 1e6, 'add_revote_us': add_re * 1e6})
    print_table('Fusion tick time (VoteBook.fuse) per live-voter count and strategy',
                ['voters', 'strategy', 'ticks', 'median_ms', 'p95_ms', 'max_ms',
                 'add_new_us', 'add_revote_us'], rows)
    write_json(args.json, 'fusion_scaling',
               {'voters': args.voters, 'strategies': args.strategies, 'short': args.short,
                'target': 'median tick <= 2 ms at 10k voters'}, rows)


if __name__ == '__main__':
    main()
