"""Search plans over a generated world, with the planner's own choices (PostgreSQL).

tests/api/test_plans_pg.py checks the demo world with sequential scans switched off (at
1,500 customers a scan is honestly cheapest). Here `generate` writes 10,000 customers,
and `load`'s and `generate`'s VACUUM (ANALYZE) gives the planner the statistics it has
in production, so these plans are the ones it picks: a page walks the C-collated name
index and probes the viewer's rules per row (no sort of the visible set), a total reads
an index alone, and an ssn or voucherNumber lookup starts from its unique index. Plans,
never times (EXPLAIN without ANALYZE).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from search_plans import Plan, explain, search_plans
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from support import TODAY, is_postgres

from voucher_graph.data.engine import session_factory
from voucher_graph.data.generate import clear_world, generate_world
from voucher_graph.data.search import CustomerSearch, _visible_keys
from voucher_graph.data.viewer import load_viewer
from voucher_graph.data.writer import refresh_statistics
from voucher_graph.domain.dates import window_start
from voucher_graph.policies.gate import Gate
from voucher_graph.policies.oso_setup import create_oso
from voucher_graph.world.synthetic import SyntheticWorld

pytestmark = pytest.mark.skipif(not is_postgres(), reason="PostgreSQL plans")

OSO = create_oso()
CUSTOMERS = 10_000
BIG_TABLES = {
    "customers",
    "customer_name_words",
    "events",
    "reservations",
    "purchasing_powers",
    "provider_customers",
}
SET_TABLES = {"service_sets", "service_set_members"}
ROLES = ("RECORDER", "STAFF", "ADMIN")


@pytest.fixture(scope="module")
async def viewers(engine: AsyncEngine) -> AsyncIterator[dict[str, str]]:
    """The widest RECORDER, STAFF and ADMIN of a generated world, after its statistics."""
    world = SyntheticWorld(CUSTOMERS, 1, TODAY)
    async with session_factory(engine)() as session, session.begin():
        await clear_world(session)
        wide = await generate_world(session, world, separate_process=False)
    await refresh_statistics(engine)
    found: dict[str, str] = {}
    for viewer in wide:
        found.setdefault(viewer.role, viewer.user_id)
    yield found


async def plans(
    engine: AsyncEngine,
    user: str,
    search: CustomerSearch,
    *,
    next_page: bool = False,
    analyze: bool = False,
) -> list[Plan]:
    """The plan of every statement the search runs, as the planner picks it by default."""
    return await search_plans(
        engine, OSO, user, search, first=50, next_page=next_page, analyze=analyze
    )


async def one_value(engine: AsyncEngine, sql: str, **params: Any) -> str:
    async with engine.connect() as connection:
        return str(await connection.scalar(text(sql), params))


async def recorders_classes(engine: AsyncEngine, viewers: dict[str, str]) -> tuple[str, int]:
    """The widest RECORDER's provider and how many (date, open) classes it has."""
    provider = await one_value(
        engine, "SELECT provider_id FROM users WHERE id = :u", u=viewers["RECORDER"]
    )
    classes = await one_value(
        engine, "SELECT count(*) FROM provider_customer_counts WHERE provider_id = :p", p=provider
    )
    return provider, int(classes)


@pytest.mark.parametrize("role", ROLES)
async def test_a_page_walks_the_name_index_and_the_total_reads_an_index(
    engine: AsyncEngine, viewers: dict[str, str], role: str
) -> None:
    page, total = await plans(engine, viewers[role], CustomerSearch())
    assert_walks_its_name_order(page, role)
    assert "customers" not in total.relations(), total
    if role == "RECORDER":
        # Rule A: the sum over the provider's (date, open) classes, and the policy's
        # keys only in the InitPlan for classes of two providers.
        assert relations(total.main_nodes) == {"provider_customer_counts"}, total
        assert not total.seq_scans(), total
        assert relations(total.init_plans) <= {"provider_customers"}, total
    else:
        # Rules B and C: the service sets that the viewer's grants select (a few dozen
        # rows; a scan of them is the planner's honest choice at this size), and the
        # policy's keys only in the InitPlan for grants reaching two organizers.
        assert relations(total.main_nodes) == SET_TABLES, total
        assert "ix_service_set_members_grant" in total.indexes(), total
        assert relations(total.init_plans) <= {"purchasing_powers"}, total


def assert_walks_its_name_order(page: Plan, role: str) -> None:
    """A provider's page walks all customers' name order, probing rule A's relation per
    customer (the provider sees a quarter of them). An organizer user's page reads its
    organizer's own rows (`organizer_customers`): walking them in name order with the
    set beside each entry, or, for a viewer who sees few of them, reading its sets' rows
    and sorting those (the branch not chosen never runs); then the page's customers by
    primary key, sorted again. No sort is over the visible set of a wide viewer. Which
    way is decided from the service sets' counts (a few dozen rows; a scan of them is
    the planner's honest choice at this size)."""
    assert not page.seq_scans() - SET_TABLES, page
    if role == "RECORDER":
        assert "ix_customers_order" in page.indexes(), page
        assert not page.types() & {"Sort", "Incremental Sort", "Hash"}, page
        return
    assert "ix_customers_order" not in page.indexes(), page
    walks = [n for n in page.nodes if n.get("Index Name") == "ix_organizer_customers_order"]
    assert [n["Node Type"] for n in walks] == ["Index Only Scan"], page
    assert "Index Cond" in walks[0] and "organizer_id" in walks[0]["Index Cond"], walks
    few = [n for n in page.nodes if n.get("Index Name") == "ix_organizer_customers_set"]
    assert [n["Node Type"] for n in few] == ["Index Only Scan"], page
    # The walk's branch sorts nothing; the other sorts are the page's customers (read
    # by primary key) and the few rows of the sets.
    for sort in (n for n in page.main_nodes if n["Node Type"] in {"Sort", "Incremental Sort"}):
        below = [n.get("Index Name") for n in _below(sort) if "Relation Name" in n]
        assert below in (["customers_pkey"], ["ix_organizer_customers_set"]), page
    # Hashes only of the sets' rows (the decision), never of customers or pairs.
    for hashed in (n for n in page.nodes if n["Node Type"] in {"Hash", "Hash Join"}):
        read = {n["Relation Name"] for n in _below(hashed) if "Relation Name" in n}
        assert read <= SET_TABLES, page


def _below(node: dict[str, Any]) -> list[dict[str, Any]]:
    """The nodes under `node`, its InitPlans left out (they run once, apart)."""
    found: list[dict[str, Any]] = []
    for child in node.get("Plans", ()):
        if child.get("Parent Relationship") != "InitPlan":
            found.append(child)
            found.extend(_below(child))
    return found


@pytest.mark.parametrize("words", [(), ("ko",)])
async def test_a_capped_total_is_the_total_stopped_at_the_bound(
    engine: AsyncEngine, viewers: dict[str, str], words: tuple[str, ...]
) -> None:
    # totalCountAtMost for the provider: its exact total sums its classes
    # (data/provider_counts.py), as cheap as a count stopped at the bound, so the capped
    # total is that same statement; never the customers table.
    search = CustomerSearch(name_words=words)
    if words:
        # A name search's page counts all its matches as it finds them for the page
        # (data/search.py MATCH_TOTAL): no count statement, capped or exact. Run
        # (without timing): a word of two letters, too short for the prefix index,
        # keeps the page's first rows in a bounded heap, never sorting every match,
        # and reads the viewer's words once.
        for bound in (None, 20):
            [page] = await search_plans(
                engine, OSO, viewers["RECORDER"], search, first=5, capped=bound,
                analyze=True,
            )  # fmt: skip
            assert "Aggregate" in page.types(), page
            sorts = [n for n in page.nodes if n["Node Type"] == "Sort"]
            assert any(n["Sort Method"] == "top-N heapsort" for n in sorts), sorts
            read = [n for n in page.nodes if n.get("Relation Name") == "provider_name_words"]
            assert [n["Actual Loops"] for n in read] == [1], read
            assert read[0]["Actual Rows"] > 2 * 6, read  # more than the heap kept
        return
    page, exact = await search_plans(engine, OSO, viewers["RECORDER"], search, first=5)
    page, capped = await search_plans(engine, OSO, viewers["RECORDER"], search, first=5, capped=20)
    assert capped.nodes[0]["Node Type"] == "Aggregate", capped
    assert capped.indexes() == exact.indexes(), (capped, exact)
    assert relations(capped.main_nodes) == {"provider_customer_counts"}, capped
    assert not capped.seq_scans(), capped


def relations(nodes: list[dict[str, Any]]) -> set[str]:
    return {n["Relation Name"] for n in nodes if "Relation Name" in n}


@pytest.mark.parametrize("role", ("STAFF", "ADMIN"))
async def test_an_organizers_total_reads_its_service_sets_not_its_customers(
    engine: AsyncEngine, viewers: dict[str, str], role: str
) -> None:
    # Run (EXPLAIN ANALYZE without timing): the rows each node really read.
    _page, total = await plans(engine, viewers[role], CustomerSearch(), analyze=True)
    organizer = await one_value(
        engine, "SELECT organizer_id FROM users WHERE id = :u", u=viewers[role]
    )
    members = int(
        await one_value(
            engine, "SELECT count(*) FROM service_set_members WHERE organizer_id = :o", o=organizer
        )
    )
    sets = int(await one_value(engine, "SELECT count(*) FROM service_sets"))
    # The viewer's grants are of one organizer: the DISTINCT count never ran.
    assert [n["Actual Loops"] for n in total.init_plans] == [0], total
    read = {
        n["Relation Name"]: n["Actual Rows"] * n["Actual Loops"]
        for n in total.main_nodes
        if "Relation Name" in n
    }
    # The organizer's set members, and its sets (or all sets, when scanned): not the
    # 2,000-3,000 customers counted.
    assert read["service_set_members"] <= members, read
    assert read["service_sets"] <= sets < 2_000, read


async def test_a_providers_total_reads_its_classes_not_its_customers(
    engine: AsyncEngine, viewers: dict[str, str]
) -> None:
    # Run (EXPLAIN ANALYZE without timing): the rows each node really read.
    _page, total = await plans(engine, viewers["RECORDER"], CustomerSearch(), analyze=True)
    provider, classes = await recorders_classes(engine, viewers)
    pairs = int(
        await one_value(
            engine, "SELECT count(*) FROM provider_customers WHERE provider_id = :p", p=provider
        )
    )
    # The classes are of one provider: the DISTINCT count never ran.
    assert [n["Actual Loops"] for n in total.init_plans] == [0], total
    read = {
        n["Relation Name"]: n["Actual Rows"] * n["Actual Loops"]
        for n in total.main_nodes
        if "Relation Name" in n
    }
    # The provider's classes, fewer than its customers: not the pairs themselves.
    assert set(read) == {"provider_customer_counts"}, read
    assert read["provider_customer_counts"] <= classes < pairs, (read, classes, pairs)


@pytest.mark.parametrize("role", ROLES)
async def test_the_next_page_starts_at_the_cursor(
    engine: AsyncEngine, viewers: dict[str, str], role: str
) -> None:
    cursor, page, _total = await plans(engine, viewers[role], CustomerSearch(), next_page=True)
    assert "customers_pkey" in cursor.indexes(), cursor
    assert not cursor.seq_scans(), cursor
    assert_walks_its_name_order(page, role)


@pytest.mark.parametrize("role", ROLES)
async def test_a_name_search_reads_the_word_index_and_no_table_whole(
    engine: AsyncEngine, viewers: dict[str, str], role: str
) -> None:
    page, *total = await plans(engine, viewers[role], CustomerSearch(name_words=("kor",)))
    # One customer in six is a Korhonen here (the generator's surname frequencies), so
    # at 10,000 customers a page may honestly read the customers table (100 pages) and
    # sort the matches; at 1M the planner walks the name index instead. Nothing else
    # is read whole.
    assert not page.seq_scans() & (BIG_TABLES - {"customers"}), page
    for plan in total:  # a count of its own, if any (on PostgreSQL the page carries it)
        assert not plan.seq_scans(), plan
        assert "ix_customer_name_words_word" in plan.indexes(), plan
        assert "customers" not in plan.relations(), plan


PREFIX_WORDS = {
    "RECORDER": "provider_name_words",
    "STAFF": "grant_name_words",
    "ADMIN": "grant_name_words",
}
PREFIX_INDEX = {
    "RECORDER": "ix_provider_name_words_prefix",
    "STAFF": "ix_grant_name_words_prefix",
    "ADMIN": "ix_grant_name_words_prefix",
}


@pytest.mark.parametrize("next_page", [False, True])
@pytest.mark.parametrize("role", ROLES)
async def test_a_name_search_of_three_letters_stops_after_its_page(
    engine: AsyncEngine, viewers: dict[str, str], role: str, next_page: bool
) -> None:
    # Run (without timing). The viewer's words of prefix "kor" are one range of the
    # prefix index (migration 0012) in name order: the page reads that range until
    # it has its customers (a customer's words, or services, side by side) and stops;
    # the total counts the same range index-only, and a capped total stops at its
    # bound. Nothing is sorted or hashed, and no table is read but the page's
    # customers by their key.
    first, bound = 5, 5
    search = CustomerSearch(name_words=("kor",))
    [*_cursor, page, total] = await search_plans(
        engine, OSO, viewers[role], search, first=first, next_page=next_page, analyze=True
    )
    [*_cursor, _page, capped] = await search_plans(
        engine, OSO, viewers[role], search, first=first, next_page=next_page, analyze=True,
        capped=bound,
    )  # fmt: skip
    read = {}
    for name, plan in (("page", page), ("total", total), ("capped", capped)):
        assert not plan.types() & {"Sort", "Incremental Sort", "Hash", "HashAggregate"}, plan
        assert not plan.seq_scans(), plan
        [words] = [n for n in plan.nodes if n.get("Index Name") == PREFIX_INDEX[role]]
        assert words["Node Type"] == "Index Only Scan", words
        assert words["Actual Loops"] == 1, words
        read[name] = words["Actual Rows"]
    customers = [n for n in page.nodes if n.get("Relation Name") == "customers"]
    assert [n["Index Name"] for n in customers] == ["customers_pkey"], customers
    assert relations(total.nodes) == relations(capped.nodes) == {PREFIX_WORDS[role]}
    # The page's range stopped after a few rows per customer, the capped count after
    # its bound's; the exact count read them all.
    assert read["page"] <= 4 * (first + 1) < read["total"], read
    assert read["capped"] <= 4 * (bound + 1) < read["total"], read


@pytest.mark.parametrize("role", ROLES)
async def test_ssn_and_voucher_lookups_start_from_their_unique_index(
    engine: AsyncEngine, viewers: dict[str, str], role: str
) -> None:
    user = viewers[role]
    page, total = await plans(engine, user, CustomerSearch())
    assert page and total
    ssn = await one_value(engine, "SELECT ssn FROM customers ORDER BY id LIMIT 1")
    voucher = await one_value(
        engine, "SELECT voucher_number FROM purchasing_powers ORDER BY id LIMIT 1"
    )
    for search, index in (
        (CustomerSearch(ssn=ssn), "customers_ssn_key"),
        (CustomerSearch(voucher_number=voucher), "purchasing_powers_voucher_number_key"),
    ):
        (plan,) = await plans(engine, user, search)  # one statement: no count
        assert index in plan.indexes(), plan
        assert not plan.seq_scans(), plan
        # No hash or aggregate over the viewer's visible set: a few index probes.
        assert not plan.types() & {"Hash", "HashAggregate", "Aggregate"}, plan


async def test_the_planner_expects_a_team_members_purchasing_powers_as_they_are(
    engine: AsyncEngine, viewers: dict[str, str]
) -> None:
    # Rule B: `organizer_id = o AND (service_id = s1 OR ...)`, the team's services. A
    # service is of one organizer; without the dependency statistics of migration 0008
    # the planner multiplies the two selectivities and expects a fourth of the rows
    # here, and at 1M hashed all of an organizer's powers for a name search instead of
    # probing them.
    async with session_factory(engine)() as session:
        viewer = await load_viewer(
            session, viewers["STAFF"], today=TODAY, window_start=window_start(TODAY)
        )
        assert viewer is not None
        keys = _visible_keys(Gate(OSO, viewer).scopes.customers)
        sql = str(keys.compile(dialect=engine.dialect, compile_kwargs={"literal_binds": True}))
        assert "organizer_id =" in sql and "service_id" in sql, sql
        plan = await explain(session, sql, None, analyze=True)
    (scan,) = [n for n in plan.nodes if n.get("Relation Name") == "purchasing_powers"]
    assert scan["Actual Rows"] * scan["Actual Loops"] > 1_000, scan
    # Per process, both (a parallel scan's estimate is per worker).
    expected, actual = scan["Plan Rows"], scan["Actual Rows"]
    assert actual / 2 <= expected <= actual * 2, (expected, actual)


async def test_a_providers_classes_lie_together_on_disk(
    engine: AsyncEngine, viewers: dict[str, str]
) -> None:
    # Derived in key order (data/provider_counts.py): the provider's exact count reads
    # its classes' pages, not a page per class (a hash aggregate's order had spread the
    # biggest provider's 5,022 classes over 1,906 pages at a million customers).
    provider, classes = await recorders_classes(engine, viewers)
    pages = int(
        await one_value(
            engine,
            "SELECT count(DISTINCT (ctid::text::point)[0]) FROM provider_customer_counts"
            " WHERE provider_id = :p",
            p=provider,
        )
    )
    assert classes > 100, classes
    assert pages <= classes // 50 + 2, (pages, classes)
