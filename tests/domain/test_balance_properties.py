"""Property tests of balance consumption."""

from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from voucher_graph.domain.amounts import EventFacts, WorkflowStatus, balance_amounts, used_amount
from voucher_graph.domain.money import ZERO

# No example database in the work tree, and no deadline on slow CI machines; a
# decorator rather than a profile, so that other test packages keep their own settings.
quiet = settings(database=None, deadline=None)

cents = st.integers(min_value=0, max_value=10_000_000).map(lambda n: Decimal(n).scaleb(-2))
events = st.lists(
    st.builds(
        # Its seven stored facts (`counting` is derived from them, not drawn).
        lambda **stored: EventFacts(**stored),
        id=st.text(alphabet="e0123456789", min_size=1, max_size=4),
        content_id=st.just("k1"),
        service_date=st.integers(0, 60).map(lambda n: date(2026, 1, 1) + timedelta(days=n)),
        units=st.integers(1, 100_000).map(lambda n: Decimal(n).scaleb(-2)),
        unit_price=cents,
        status=st.sampled_from([status.value for status in WorkflowStatus]),
        deleted=st.booleans(),
    ),
    max_size=12,
    unique_by=lambda event: event.id,
)


@quiet
@given(events=events, granted=cents)
def test_balance_shares_never_exceed_the_granted_amount(
    events: list[EventFacts], granted: Decimal
) -> None:
    used = used_amount(events, granted)
    assert ZERO <= used <= granted
    assert all(a.voucher_share >= ZERO for a in balance_amounts(events, granted).values())


@quiet
@given(events=events, granted=cents)
def test_share_plus_copay_is_the_price_of_counting_events(
    events: list[EventFacts], granted: Decimal
) -> None:
    result = balance_amounts(events, granted)
    assert set(result) == {event.id for event in events}
    for event in events:
        amount = result[event.id]
        exact = event.units * event.unit_price
        assert amount.price == exact.quantize(Decimal("0.01"), ROUND_HALF_UP)
        if event.counting:
            assert amount.voucher_share + amount.copay == amount.price
            assert amount.copay >= ZERO
        else:
            assert (amount.voucher_share, amount.copay) == (ZERO, ZERO)


@quiet
@given(events=events, granted=cents)
def test_balance_does_not_depend_on_the_order_given(
    events: list[EventFacts], granted: Decimal
) -> None:
    forward = balance_amounts(events, granted)
    backward = balance_amounts(list(reversed(events)), granted)
    assert forward == backward
