"""Sourcing: choose the warehouses an order ships from. Pure function over locked stock rows.

Rule: the fewest warehouses that can fill every line; among those, the best warehouse priorities
(lower first); within the chosen set, each line takes units from the best-priority warehouse first.
Exact (subset search) for a realistic number of warehouses, greedy beyond that.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations

EXACT_SEARCH_LIMIT = 12  # 2^12 subsets at most: microseconds


@dataclass(frozen=True)
class StockOption:
    stock_id: int
    warehouse_id: int
    warehouse_priority: int
    variant_id: int
    available: int


@dataclass(frozen=True)
class Pick:
    stock_id: int
    warehouse_id: int
    variant_id: int
    quantity: int


def _available_by(options: Sequence[StockOption]) -> dict[tuple[int, int], StockOption]:
    return {(o.warehouse_id, o.variant_id): o for o in options if o.available > 0}


def _can_fill(warehouses: Sequence[int], demand: Mapping[int, int], by_key) -> bool:
    for variant_id, quantity in demand.items():
        have = sum(
            by_key[(w, variant_id)].available for w in warehouses if (w, variant_id) in by_key
        )
        if have < quantity:
            return False
    return True


def _assign(warehouses: Sequence[int], demand: Mapping[int, int], by_key) -> list[Pick]:
    picks = []
    for variant_id, quantity in demand.items():
        remaining = quantity
        for warehouse_id in warehouses:
            option = by_key.get((warehouse_id, variant_id))
            if option is None or remaining == 0:
                continue
            take = min(option.available, remaining)
            picks.append(Pick(option.stock_id, warehouse_id, variant_id, take))
            remaining -= take
    return picks


def choose_sources(demand: Mapping[int, int], options: Sequence[StockOption]) -> list[Pick] | None:
    """Return the picks that fill `demand` ({variant_id: units}), or None if stock is short."""
    by_key = _available_by(options)
    priority = {o.warehouse_id: (o.warehouse_priority, o.warehouse_id) for o in options}
    warehouses = sorted(priority, key=priority.__getitem__)
    if not _can_fill(warehouses, demand, by_key):
        return None
    if len(warehouses) <= EXACT_SEARCH_LIMIT:
        for size in range(1, len(warehouses) + 1):
            candidates = [
                subset
                for subset in combinations(warehouses, size)
                if _can_fill(subset, demand, by_key)
            ]
            if candidates:
                best = min(candidates, key=lambda subset: [priority[w] for w in subset])
                return _assign(best, demand, by_key)
    # Greedy set cover: take the warehouse that fills the most remaining units, then priority.
    remaining = dict(demand)
    chosen: list[int] = []
    while any(remaining.values()):

        def coverage(w: int) -> int:
            return sum(
                min(by_key[(w, v)].available, q) for v, q in remaining.items() if (w, v) in by_key
            )

        best = max(
            (w for w in warehouses if w not in chosen),
            key=lambda w: (coverage(w), [-x for x in priority[w]]),
        )
        chosen.append(best)
        for v in remaining:
            if (best, v) in by_key:
                remaining[v] -= min(by_key[(best, v)].available, remaining[v])
    return _assign(sorted(chosen, key=priority.__getitem__), demand, by_key)
