"""Order-preserving assignment of cells to roles, scored by what each cell looks like.

Exports shift cells left and right, drop padding or add it. Reading a row means
choosing, for each printed cell, the role it plays (or none), keeping the
printed order; the best choice maximises the summed fit of cell to role.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")

IMPOSSIBLE = -1e6


def align(
    n_roles: int,
    items: Sequence[T],
    fit: Callable[[int, T], float],
    skip_cost: Callable[[T], float],
) -> tuple[list[int | None], float]:
    """For each item, the role index it takes (strictly increasing) or None; and the total fit.

    `fit(role, item)` scores putting an item in a role; `skip_cost(item)` is
    what leaving it unassigned costs (0 for a blank cell).
    """
    n = len(items)
    fits = [[fit(r, item) for r in range(n_roles)] for item in items]
    skips = [skip_cost(item) for item in items]
    # best[i][r]: best score for items[i:] using roles r.. onwards.
    best = [[0.0] * (n_roles + 1) for _ in range(n + 1)]
    choice: list[list[int]] = [[0] * (n_roles + 1) for _ in range(n + 1)]
    for i in range(n - 1, -1, -1):
        for r in range(n_roles, -1, -1):
            # 0 = skip item, 1 = skip role, 2 = assign item to role
            value, how = best[i + 1][r] - skips[i], 0
            if r < n_roles:
                if best[i][r + 1] > value:
                    value, how = best[i][r + 1], 1
                assigned = fits[i][r] + best[i + 1][r + 1]
                if fits[i][r] > IMPOSSIBLE / 2 and assigned >= value:
                    value, how = assigned, 2
            best[i][r] = value
            choice[i][r] = how
    result: list[int | None] = [None] * n
    i = r = 0
    while i < n:
        how = choice[i][r]
        if how == 0:
            i += 1
        elif how == 1:
            r += 1
        else:
            result[i] = r
            i += 1
            r += 1
    return result, best[0][0]
