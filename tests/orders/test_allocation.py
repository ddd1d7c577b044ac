"""Sourcing rules of orders.allocation.choose_sources: fewest warehouses, then priority."""

from collections import defaultdict
from itertools import combinations

from hypothesis import given
from hypothesis import strategies as st

from orders.allocation import EXACT_SEARCH_LIMIT, StockOption, choose_sources

SHIRT, MUG, CAP = 1, 2, 3


def option(warehouse: int, variant: int, available: int, priority: int | None = None):
    """Stock row ids are derived from warehouse and variant so tests can name them."""
    return StockOption(
        stock_id=warehouse * 100 + variant,
        warehouse_id=warehouse,
        warehouse_priority=warehouse * 10 if priority is None else priority,
        variant_id=variant,
        available=available,
    )


def by_warehouse(picks) -> dict[int, dict[int, int]]:
    result: dict[int, dict[int, int]] = defaultdict(dict)
    for pick in picks:
        result[pick.warehouse_id][pick.variant_id] = pick.quantity
    return dict(result)


def test_one_warehouse_that_can_fill_everything_is_preferred_over_a_better_priority_split():
    options = [option(1, SHIRT, 3), option(1, MUG, 3), option(2, SHIRT, 5), option(2, MUG, 5)]
    picks = choose_sources({SHIRT: 5, MUG: 1}, options)
    assert by_warehouse(picks) == {2: {SHIRT: 5, MUG: 1}}


def test_fewest_warehouses_beats_warehouse_priority():
    options = [
        option(1, SHIRT, 10),  # best priority, but only shirts
        option(2, MUG, 10),  # second best, only mugs
        option(3, SHIRT, 10),  # worst priority, holds both
        option(3, MUG, 10),
    ]
    picks = choose_sources({SHIRT: 2, MUG: 2}, options)
    assert by_warehouse(picks) == {3: {SHIRT: 2, MUG: 2}}


def test_priority_breaks_ties_between_warehouses_that_can_each_fill_the_order():
    options = [
        option(1, SHIRT, 10, priority=30),
        option(2, SHIRT, 10, priority=5),
        option(3, SHIRT, 10, priority=20),
    ]
    assert by_warehouse(choose_sources({SHIRT: 4}, options)) == {2: {SHIRT: 4}}


def test_equal_priority_falls_back_to_the_lower_warehouse_id():
    options = [option(7, SHIRT, 10, priority=10), option(4, SHIRT, 10, priority=10)]
    assert by_warehouse(choose_sources({SHIRT: 4}, options)) == {4: {SHIRT: 4}}


def test_priority_breaks_ties_between_pairs_of_warehouses():
    options = [option(1, SHIRT, 3), option(2, SHIRT, 3), option(3, SHIRT, 3)]
    # Any two warehouses can fill 5 units; the best two by priority are chosen, the best first.
    assert by_warehouse(choose_sources({SHIRT: 5}, options)) == {1: {SHIRT: 3}, 2: {SHIRT: 2}}


def test_order_splits_across_warehouses_when_no_single_one_can_fill_it():
    options = [option(1, SHIRT, 5), option(1, MUG, 0), option(2, SHIRT, 5), option(2, MUG, 2)]
    picks = choose_sources({SHIRT: 8, MUG: 2}, options)
    assert by_warehouse(picks) == {1: {SHIRT: 5}, 2: {SHIRT: 3, MUG: 2}}
    assert all(pick.quantity > 0 for pick in picks)
    assert {pick.stock_id for pick in picks} == {101, 201, 202}


def test_short_stock_returns_none():
    options = [option(1, SHIRT, 5), option(2, SHIRT, 5), option(1, MUG, 1)]
    assert choose_sources({SHIRT: 11}, options) is None
    assert choose_sources({SHIRT: 1, MUG: 2}, options) is None
    assert choose_sources({CAP: 1}, options) is None  # no stock row at all
    assert choose_sources({SHIRT: 1}, []) is None


def test_rows_with_nothing_available_are_never_picked():
    options = [option(1, SHIRT, 0), option(2, SHIRT, -2), option(3, SHIRT, 4)]
    assert by_warehouse(choose_sources({SHIRT: 4}, options)) == {3: {SHIRT: 4}}


def test_many_warehouses_use_the_greedy_path_and_still_fill_the_order():
    count = EXACT_SEARCH_LIMIT + 8
    options = [option(w, SHIRT, 2) for w in range(1, count + 1)]
    options += [option(w, MUG, 1) for w in range(1, count + 1, 2)]
    demand = {SHIRT: 2 * count - 3, MUG: 5}
    picks = choose_sources(demand, options)
    assert picks is not None
    totals: dict[int, int] = defaultdict(int)
    for pick in picks:
        totals[pick.variant_id] += pick.quantity
    assert totals == demand
    assert choose_sources({SHIRT: 2 * count + 1}, options) is None


def test_greedy_path_still_prefers_one_warehouse_that_holds_everything():
    count = EXACT_SEARCH_LIMIT + 3
    options = [option(w, SHIRT, 1) for w in range(1, count + 1)]
    options += [
        option(count + 1, SHIRT, 50, priority=999),
        option(count + 1, MUG, 50, priority=999),
    ]
    options += [option(1, MUG, 1)]
    assert by_warehouse(choose_sources({SHIRT: 10, MUG: 3}, options)) == {
        count + 1: {SHIRT: 10, MUG: 3}
    }


# --- Property ----------------------------------------------------------------------------------


@st.composite
def stock_and_demand(draw, max_warehouses: int):
    warehouses = draw(st.integers(min_value=1, max_value=max_warehouses))
    variants = draw(st.integers(min_value=1, max_value=4))
    options = [
        StockOption(
            stock_id=w * 100 + v,
            warehouse_id=w,
            warehouse_priority=priority,
            variant_id=v,
            available=draw(st.integers(min_value=0, max_value=8)),
        )
        for w, priority in enumerate(
            draw(st.lists(st.integers(0, 50), min_size=warehouses, max_size=warehouses)), start=1
        )
        for v in range(1, variants + 1)
        if draw(st.booleans()) or v == 1  # not every warehouse stocks every variant
    ]
    demand = draw(
        st.dictionaries(
            st.integers(min_value=1, max_value=variants),
            st.integers(min_value=1, max_value=20),
            min_size=1,
        )
    )
    return demand, options


def is_feasible(demand, options) -> bool:
    return all(
        sum(o.available for o in options if o.variant_id == v and o.available > 0) >= quantity
        for v, quantity in demand.items()
    )


def fewest_warehouses_needed(demand, options) -> int:
    warehouses = sorted({o.warehouse_id for o in options})
    for size in range(1, len(warehouses) + 1):
        for subset in combinations(warehouses, size):
            if is_feasible(demand, [o for o in options if o.warehouse_id in subset]):
                return size
    raise AssertionError("infeasible")


def assert_picks_fill_exactly(demand, options, picks) -> None:
    rows = {o.stock_id: o for o in options}
    filled: dict[int, int] = defaultdict(int)
    for pick in picks:
        row = rows[pick.stock_id]
        assert (pick.warehouse_id, pick.variant_id) == (row.warehouse_id, row.variant_id)
        assert 0 < pick.quantity <= row.available
        filled[pick.variant_id] += pick.quantity
    assert len({pick.stock_id for pick in picks}) == len(picks)  # one pick per stock row
    assert filled == demand


@given(stock_and_demand(max_warehouses=EXACT_SEARCH_LIMIT + 6))
def test_picks_never_exceed_stock_and_exactly_fill_demand_when_feasible(case):
    demand, options = case
    picks = choose_sources(demand, options)
    if not is_feasible(demand, options):
        assert picks is None
        return
    assert picks is not None
    assert_picks_fill_exactly(demand, options, picks)


@given(stock_and_demand(max_warehouses=7))
def test_exact_search_uses_the_fewest_warehouses_possible(case):
    demand, options = case
    picks = choose_sources(demand, options)
    if picks is None:
        assert not is_feasible(demand, options)
        return
    used = {pick.warehouse_id for pick in picks}
    assert len(used) == fewest_warehouses_needed(demand, options)
