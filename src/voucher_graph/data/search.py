"""Customer search and keyset paging, on top of the viewer's authorized customers."""

from __future__ import annotations

import base64
import json
import re
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Select,
    bindparam,
    cast,
    exists,
    func,
    select,
    tuple_,
    union_all,
)
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import BinaryExpression, BindParameter
from sqlalchemy.sql.selectable import ScalarSelect

from . import models as m
from .engine import read_rows
from .id_lists import in_few_selected
from .provider_counts import provider_count_statement, write_pending_moves
from .raw_rows import with_values_inline
from .scoped_words import (
    PREFIX_CHARS,
    equality_with_value,
    fixes_scope,
    restate,
    top_level_conjuncts,
    word_prefix,
)
from .service_sets import customers_in, customers_of, organizer_rows, set_count_statement


class BadCursor(ValueError):
    """The `after` cursor was not made by this API."""


@dataclass(frozen=True)
class CustomerSearch:
    name_words: tuple[str, ...] = ()
    ssn: str | None = None
    voucher_number: str | None = None


@dataclass(frozen=True)
class Page:
    customers: list[m.Customer]
    # The total, counted only when asked for (a page by itself never needs it): at a
    # million customers an organizer's exact count is most of a page's cost.
    total: Callable[[], Awaitable[int]]
    has_next_page: bool
    # The total counted no further than `at_most` customers: (count, whether exact).
    capped_total: Callable[[int], Awaitable[tuple[int, bool]]]
    # The viewer's customer number of each customer of the page, when asked for with
    # the page (`numbers`); None when not.
    customer_numbers: dict[str, str | None] | None = None


_PLAIN_ID = re.compile(r"[A-Za-z0-9_.:-]*")


# A cursor names only the customer's id: the ordering keys are its (lower-cased) names,
# which a REPORTER must never receive, not even base64-encoded inside a cursor.
def encode_cursor(customer: m.Customer) -> str:
    customer_id = customer.id
    # json.dumps' own text for an id of plain characters, written directly (a page
    # makes one cursor per customer); any other id is left to json.dumps to escape.
    raw = f'["{customer_id}"]' if _PLAIN_ID.fullmatch(customer_id) else json.dumps([customer_id])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> str:
    """The customer id inside a cursor made by `encode_cursor`, or BadCursor."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode()).decode())
    except (ValueError, UnicodeError) as exc:
        raise BadCursor("after is not a cursor of this list") from exc
    if not (isinstance(value, list) and len(value) == 1 and isinstance(value[0], str)):
        raise BadCursor("after is not a cursor of this list")
    return value[0]


def _like_prefix(word: str) -> str:
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + "%"


def _code_point(column: Any, dialect: str) -> Any:
    # PostgreSQL compares text by its collation; "C" compares code points as SQLite does.
    return column.collate("C") if dialect == "postgresql" else column


def _name_order(last: Any, first: Any, ident: Any, dialect: str) -> tuple[Any, Any, Any]:
    """The lists' order, (last name, first name, id) lower-cased by code point, on the
    columns of any table that carries the keys."""
    return (
        _code_point(last, dialect),
        _code_point(first, dialect),
        _code_point(ident, dialect),
    )


# The search's values are bound parameters, never part of the statement's tree: the
# statements of one shape of search are built once per scope (see _Statements).
_SSN: BindParameter[Any] = bindparam("search_ssn")
_VOUCHER: BindParameter[Any] = bindparam("search_voucher")
_CURSOR_ID: BindParameter[Any] = bindparam("cursor_id")
_LIMIT: BindParameter[Any] = bindparam("page_limit")
_AFTER: tuple[BindParameter[Any], ...] = (
    bindparam("after_last"),
    bindparam("after_first"),
    bindparam("after_id"),
)


# The first searched word's first PREFIX_CHARS characters (`_page_by_prefix`).
_PREFIX: BindParameter[Any] = bindparam("search_prefix")


def _word(index: int) -> BindParameter[Any]:
    return bindparam(f"search_word_{index}")


def _name_words(shape: _Shape, customer_id: Any) -> list[ColumnElement[bool]]:
    """One EXISTS per searched word, for the customer whose id is `customer_id`."""
    return [
        # A prefix LIKE: an index range on PostgreSQL too (varchar_pattern_ops, 0002).
        exists(
            select(m.CustomerNameWord.customer_id).where(
                m.CustomerNameWord.customer_id == customer_id,
                m.CustomerNameWord.word.like(_word(index), escape="\\"),
            )
        )
        for index in range(shape.words)
    ]


def _criteria(shape: _Shape, visible_pps: Select[Any]) -> list[ColumnElement[bool]]:
    criteria: list[ColumnElement[bool]] = []
    criteria.extend(_name_words(shape, m.Customer.id))
    if shape.ssn:
        criteria.append(m.Customer.ssn == _SSN)
    if shape.voucher_number:
        # The one purchasing power with this number, checked against the viewer's
        # purchasing-power rules for that row alone: never the whole visible set.
        criteria.append(
            exists(
                visible_pps.with_only_columns(m.PurchasingPower.id).where(
                    m.PurchasingPower.voucher_number == _VOUCHER,
                    m.PurchasingPower.customer_id == m.Customer.id,
                )
            )
        )
    return criteria


def _visible_keys(visible_customers: Select[Any]) -> Any:
    """The customer ids of `customers.id IN (keys)`, the shape of the policy's statement.

    Counting these keys reads only the relation's indexes (rule A's
    provider_customers, rules B and C's purchasing powers), not the customers table;
    every key is a customer (foreign keys). None for any other shape.
    """
    where = visible_customers.whereclause
    if (
        isinstance(where, BinaryExpression)
        and where.operator is operators.in_op
        and isinstance(where.right, ScalarSelect)
        and isinstance(where.left, ColumnElement)
        and where.left.compare(m.Customer.id.expression)
    ):
        return where.right.element
    return None


def _one_per_customer(keys: Any) -> bool:
    """Whether `keys` cannot name a customer twice: rule A's relation for one provider.

    (provider_id, customer_id) is its primary key, so with the provider fixed by an
    equality the ids are distinct already, and counting needs no DISTINCT (a hash of
    every visible id) but only the covering index's range.
    """
    if not isinstance(keys, Select):
        return False
    froms = keys.get_final_froms()
    table = getattr(froms[0], "element", froms[0]) if len(froms) == 1 else None  # unalias
    if getattr(table, "name", None) != m.ProviderCustomer.__tablename__:
        return False
    provider = froms[0].c.provider_id

    def is_provider(left: Any) -> bool:
        return isinstance(left, ColumnElement) and left.compare(provider)

    return any(
        equality_with_value(clause, is_provider) is not None
        for clause in top_level_conjuncts(keys.whereclause)
    )


@dataclass(frozen=True)
class _Totals:
    """How a search's matching visible customers are counted."""

    exact: Select[Any]
    # The same count stopped after `count_limit` rows (totalCountAtMost); None when
    # `exact` is the service sets' or the provider classes' sum, a few dozen or a few
    # thousand rows however many customers.
    capped: Select[Any] | None


_COUNT_LIMIT: BindParameter[Any] = bindparam("count_limit")


def _inline(totals: _Totals) -> _Totals:
    """`totals` with their scope's values in their text (raw_rows.with_values_inline)."""
    return _Totals(
        exact=with_values_inline(totals.exact),
        capped=None if totals.capped is None else with_values_inline(totals.capped),
    )


def _counted(rows: Select[Any]) -> _Totals:
    """count(*) over `rows`, exactly and stopped at `count_limit` rows."""
    return _Totals(
        exact=select(func.count()).select_from(rows.subquery()),
        capped=select(func.count()).select_from(rows.limit(_COUNT_LIMIT).subquery()),
    )


def _totals(visible_customers: Select[Any], matching: Select[Any], shape: _Shape) -> _Totals:
    """The count of the matching visible customers, from the visible keys where it can.

    Every key is a customer (foreign keys), so the keys alone answer a count without
    a criterion, and with name words only (checked per key, before any DISTINCT, so
    that only the matching keys are hashed). At 1M customers, counting a big
    provider's "kor" through the customers table read all of it (a hash join of a
    sequential scan); over the keys it is a third of the time. ssn and voucherNumber
    match one customer: their first page tells the total, no count is run. The capped
    count is the same statement with a limit: a provider's index-only range stops
    after that many keys (a DISTINCT still reads all of its keys first).
    """
    keys = _visible_keys(visible_customers)
    one_row_criteria = shape.ssn or shape.voucher_number
    by_classes = (
        _class_count(keys)
        if isinstance(keys, Select) and not (one_row_criteria or shape.words)
        else None
    )
    if by_classes is not None:
        # Rules B and C: the sum over the viewer's service sets (data/service_sets.py),
        # a few dozen rows however many customers they hold; rule A: the sum over the
        # provider's (date, open) classes (data/provider_counts.py), a few thousand.
        # Either is exact and as cheap as a capped count, so none is kept apart.
        return _Totals(exact=by_classes, capped=None)
    if isinstance(keys, Select) and not one_row_criteria:
        scoped = _scoped_matches(keys, shape)
        if scoped is not None:
            # Name words: the viewer's own matching words (data/scoped_words.py).
            return _counted(select(scoped.subquery().c.page_id).distinct())
        unique = _one_per_customer(keys)
        keys = keys.where(*_name_words(shape, keys.selected_columns[0]))
        return _counted(keys if unique else keys.distinct())
    if keys is not None and not (one_row_criteria or shape.words):
        key = keys.subquery().c[0]
        return _counted(select(key).distinct())
    return _counted(matching.with_only_columns(m.Customer.id))


def _class_count(keys: Select[Any]) -> Select[Any] | None:
    by_sets = set_count_statement(keys)
    return by_sets if by_sets is not None else provider_count_statement(keys)


def _matches(words: Any, scope: list[ColumnElement[bool]], shape: _Shape) -> Select[Any]:
    """The words of `words` (a word table) matching the first searched word and rows
    matching `scope`, each with its customer's ordering keys (copied beside every
    word, migration 0006), the other searched words checked per match. A customer with
    two words starting with the prefix is there twice."""
    order = (
        _code_point(words.c.last_name_lower, shape.dialect).label("order_last"),
        _code_point(words.c.first_name_lower, shape.dialect).label("order_first"),
        _code_point(words.c.customer_id, shape.dialect).label("order_id"),
    )
    return (
        # The plain id too: joined under its own collation, the primary key serves it.
        select(*order, words.c.customer_id.label("page_id")).where(
            words.c.word.like(_word(0), escape="\\"),
            *scope,
            *_name_words(shape, words.c.customer_id)[1:],  # the other words, per match
        )
    )


def _scoped_matches(keys: Select[Any], shape: _Shape) -> Select[Any] | None:
    """A name search's matches from the viewer's own words, when the policy's statement
    can be said on them (data/scoped_words.py): an index range (provider or organizer,
    word prefix) holding the viewer's matches and no one else's. None without words,
    or when the policy says more than those tables carry."""
    if not shape.words:
        return None
    restated = restate(keys)
    if restated is None:
        return None
    words, condition = restated
    return _matches(words, [condition], shape)


def _name_search_keys(
    visible_customers: Select[Any], shape: _Shape, *, searched: bool
) -> Select[Any] | None:
    """The policy's keys (`_visible_keys`) for a page read from the name words up: on
    PostgreSQL, when `searched` (the words that page needs are there) and no ssn or
    voucherNumber narrows the search to one row; None otherwise."""
    keys = _visible_keys(visible_customers)
    if (
        shape.dialect != "postgresql"
        or not searched
        or shape.ssn
        or shape.voucher_number
        or not isinstance(keys, Select)
    ):
        return None
    return keys


def _page_by_words(visible_customers: Select[Any], shape: _Shape) -> Select[Any] | None:
    """A name search's page, from the matching words up (PostgreSQL; None otherwise).

    The matches of the first word come from the viewer's own words with their
    ordering keys where the policy's statement can be said on them
    (`_scoped_matches`: a provider's, an organizer's grants'), else from all customers'
    words with the visible ones kept (the policy's keys, as for the total). The other
    words are checked per match, and the page is the first of them in name order; only
    the page's customers are read. Walking the name-order index instead reads every
    customer sorting before the matches: "kor" sorts under K, so at a million customers
    an ADMIN's page probed 320,000 of them (615 ms).
    """
    keys = _name_search_keys(visible_customers, shape, searched=bool(shape.words))
    if keys is None:
        return None
    matches = _scoped_matches(keys, shape)
    if matches is None:
        word = m.CustomerNameWord.__table__.alias("matched")
        matches = _matches(word, [word.c.customer_id.in_(keys)], shape)
    rows = matches.cte("matches")  # read once (PostgreSQL materializes it: used twice)
    # Every visible match is found for the page anyway, so the same pass counts them:
    # the total rides on each row (`MATCH_TOTAL`), counted before the cursor's
    # condition, and a name search needs no count statement of its own (at 1M
    # customers that statement probed the matching words' visibility a second time).
    # Counted by a hash of the customers, with the rows beside: `repeats` is how many
    # rows are a customer's second (third...) matching word.
    per_customer = (
        select(rows.c.page_id, func.count().label("words")).group_by(rows.c.page_id).subquery()
    )
    counts = select(
        func.count().label("customers"),
        cast(func.sum(per_customer.c.words), BigInteger).label("rows"),
    ).cte("counts")
    total = select(counts.c.customers).scalar_subquery()
    repeats = select(counts.c.rows - counts.c.customers).scalar_subquery()
    # The page: the first `limit + repeats` rows in name order, a top-N heapsort that
    # keeps that many rows, not a sort of every match (at 1M customers, sorting the
    # biggest provider's 2,620 matches of "kor" by three keys was most of the page);
    # those rows hold at least `limit` customers, or all there are; then one row per
    # customer, and the first `limit` of them.
    keys_in_order = (rows.c.order_last, rows.c.order_first, rows.c.order_id)
    top = select(*rows.c)
    if shape.after:
        top = top.where(tuple_(*keys_in_order) > tuple_(*_AFTER))
    top_rows = top.order_by(*keys_in_order).limit(_LIMIT + repeats).subquery("top_rows")
    first = (
        select(*top_rows.c)
        .distinct()
        .order_by(top_rows.c.order_last, top_rows.c.order_first, top_rows.c.order_id)
        .limit(_LIMIT)
        .subquery("page_keys")
    )
    return (
        select(*m.Customer.__table__.columns, total.label(MATCH_TOTAL))
        .join(first, first.c.page_id == m.Customer.id)
        .order_by(first.c.order_last, first.c.order_first, first.c.order_id)
    )


@dataclass(frozen=True)
class _ByPrefix:
    """A name search's statements over the word tables' prefix index."""

    page: Select[Any]  # the page's customers, in order, `limit` of them
    matches: Select[Any]  # every match, one row per customer, in name order (no cursor)


def _page_by_prefix(visible_customers: Select[Any], shape: _Shape) -> _ByPrefix | None:
    """A name search's page from the viewer's words in name order (PostgreSQL, a first
    word of at least PREFIX_CHARS characters, a policy condition restated on a word
    table and fixing its provider or organizer; None otherwise).

    The word tables' prefix index (migration 0012) holds each provider's or
    organizer's words by (scope, the word's first three characters) in name order, so
    the matches of "kor" are one range already in the page's order: the page reads
    its rows up to `limit` customers and stops (a customer's several matching words,
    or several services, lie side by side, and DISTINCT ON keeps one), where reading
    every match and keeping the first (`_page_by_words`) grew with the answer (2,620
    matches for the biggest provider at a million customers). The total counts the
    same range (`matches`), index-only, one customer per run of adjacent rows: no hash
    and no sort; only when asked for (about half a microsecond a match), and a capped
    total stops at its bound.
    """
    keys = _name_search_keys(visible_customers, shape, searched=shape.prefix)
    if keys is None:
        return None
    restated = restate(keys)
    if restated is None or not fixes_scope(*restated):
        return None
    words, condition = restated
    keys_in_order = _name_order(
        words.c.last_name_lower, words.c.first_name_lower, words.c.customer_id, shape.dialect
    )
    names = ("order_last", "order_first", "order_id")
    labelled = (key.label(name) for key, name in zip(keys_in_order, names, strict=True))
    matches = select(words.c.customer_id, *labelled).where(
        word_prefix(words) == _PREFIX,
        words.c.word.like(_word(0), escape="\\"),
        condition,
        *_name_words(shape, words.c.customer_id)[1:],  # the other words, per match
    )
    # One row per customer, in name order: a customer's rows are adjacent in it.
    one_each = matches.ext(distinct_on(*keys_in_order)).order_by(*keys_in_order)
    after = [tuple_(*keys_in_order) > tuple_(*_AFTER)] if shape.after else []
    page = one_each.where(*after).limit(_LIMIT).subquery("page_keys")
    order = [page.c[name] for name in names]
    return _ByPrefix(
        page=select(*m.Customer.__table__.columns)
        .join(page, page.c.customer_id == m.Customer.id)
        .order_by(*order),
        matches=one_each,
    )


def _page_by_grants(
    visible_customers: Select[Any], shape: _Shape
) -> Callable[[Any], Select[Any]] | None:
    """An organizer user's list, page by page, from its organizer's own rows
    (PostgreSQL; None otherwise, or for any other viewer or search).

    Rules B and C select customers by their purchasing powers' organizer and service.
    When the policy's condition fixes one organizer, the visible customers are that
    organizer's `organizer_customers` rows in the service sets with a member the
    condition selects (data/service_sets.py, `organizer_rows`): one row per customer.
    The page is the first `limit` of them after the cursor, then their customers' rows,
    read one of two ways, whichever reads fewer rows (both in one statement, the
    other never run: a WHERE on the sets' counts alone is a one-time filter):
    - walking the organizer's rows in name order, each kept when its set matches:
      `limit` over the viewer's share of the organizer's customers, so for a viewer who
      sees most of them (an ADMIN, a wide team) a page's worth of rows;
    - reading the matching sets' rows and sorting them: as many as the viewer sees, so
      for a viewer who sees few (a walk would read the whole range to find them).
    The first when visible² ≥ limit × the organizer's customers (a walk reads about
    limit × organizer's ÷ visible rows, the other way the visible ones). Walking the name
    order of all customers instead probed each one's purchasing powers: one over the
    organizer's share of all customers per row of the page (356 for 51 at a million).
    """
    keys = _visible_keys(visible_customers)
    if (
        shape.dialect != "postgresql"
        or shape.words
        or shape.ssn
        or shape.voucher_number
        or not isinstance(keys, Select)
    ):
        return None
    found = organizer_rows(keys)
    if found is None:
        return None
    organizer, matching_sets = found
    rows = m.OrganizerCustomer.__table__
    keys_in_order = _name_order(
        rows.c.last_name_lower, rows.c.first_name_lower, rows.c.customer_id, shape.dialect
    )
    after = [tuple_(*keys_in_order) > tuple_(*_AFTER)] if shape.after else []
    # `set_id + 0`: tested per row, never read through the sets' index.
    walk = select(rows.c.customer_id).where(
        rows.c.organizer_id == organizer, in_few_selected(rows.c.set_id + 0, matching_sets), *after
    )
    # Without the organizer: its order index cannot serve, the sets' index does.
    few = select(rows.c.customer_id).where(in_few_selected(rows.c.set_id, matching_sets), *after)
    visible, everyone = customers_in(matching_sets), customers_of(organizer)
    customers = m.Customer.__table__
    order = _name_order(
        customers.c.last_name_lower, customers.c.first_name_lower, customers.c.id, shape.dialect
    )

    def limited(limit: Any) -> Select[Any]:
        # Decided once (a CTE both branches read), from a few dozen set rows.
        decision = select((func.power(visible, 2) >= everyone * limit).label("walks")).cte(
            "decision"
        )
        walks = select(decision.c.walks).scalar_subquery()

        def first_rows(statement: Select[Any], when: Any) -> Select[Any]:
            page = statement.where(when).order_by(*keys_in_order).limit(limit).subquery()
            return select(page.c.customer_id)

        ids = union_all(first_rows(walk, walks), first_rows(few, ~walks)).subquery("page_ids")
        # The page's ids, then each customer by its primary key (a join let the planner
        # hash all customers for a page's 51 at 10,000), sorted again by the same keys,
        # copied from the customer.
        return (
            select(*customers.columns)
            .where(in_few_selected(customers.c.id, select(ids.c.customer_id)))
            .order_by(*order)
        )

    return limited


# The column of a page's rows that holds the count of all its matches: a name
# search's always, a list's when its total is asked for with the page.
MATCH_TOTAL = "match_total"
# The column of a page's rows that holds the viewer's customer number, when asked for.
CUSTOMER_NUMBER = "viewer_customer_number"


def _customer_number(numbers: Select[Any]) -> Any:
    """The viewer's number for the page row's customer: `numbers` (the policy's customer
    numbers the viewer may read: its provider's, at most one per customer, the primary
    key) probed for that customer, as the customer-number loader would read it."""
    return (
        numbers.with_only_columns(m.CustomerNumber.number)
        .where(m.CustomerNumber.customer_id == m.Customer.id)
        .limit(1)
        .scalar_subquery()
        .label(CUSTOMER_NUMBER)
    )


@dataclass(frozen=True)
class _Shape:
    """What a search's statements depend on besides the viewer's scopes (not values)."""

    words: int
    # Whether the first word is long enough for the word tables' prefix index.
    prefix: bool
    ssn: bool
    voucher_number: bool
    after: bool
    dialect: str


class _Statements:
    """The statements of one shape of search over one viewer scope, built once.

    Building `scope.where(...)` afresh per request costs about a millisecond of
    SQLAlchemy cache-key generation over the policy's clauses; a statement object that
    is reused keeps its key (as data/loaders.py's Prepared does). The search's values
    travel as bound parameters.
    """

    def __init__(self, visible_customers: Select[Any], visible_pps: Select[Any], shape: _Shape):
        criteria = _criteria(shape, visible_pps)
        matching = visible_customers.where(*criteria)
        customer = m.Customer
        order = tuple_(
            *_name_order(
                customer.last_name_lower, customer.first_name_lower, customer.id, shape.dialect
            )
        )
        # The keys of the cursor's customer, if the viewer still sees it.
        self.cursor = visible_customers.with_only_columns(
            m.Customer.last_name_lower, m.Customer.first_name_lower, m.Customer.id
        ).where(m.Customer.id == _CURSOR_ID)
        page = matching
        if shape.after:
            # A row comparison: an index range on (last, first, id), not a filter.
            page = page.where(order > tuple_(*_AFTER))
        # Plain rows of the customer's columns, as the loaders read them (no ORM object).
        unlimited = page.with_only_columns(*m.Customer.__table__.columns).order_by(*order.clauses)
        by_grants = _page_by_grants(visible_customers, shape)
        # The page of `limit` rows, without name words (`page_of`).
        self._limited: Callable[[Any], Select[Any]] = (
            by_grants if by_grants is not None else unlimited.limit
        )
        by_prefix = _page_by_prefix(visible_customers, shape)
        by_words = None if by_prefix is not None else _page_by_words(visible_customers, shape)
        self.total_in_page = by_words is not None  # its rows carry MATCH_TOTAL
        # Over the prefix index, the page and its counts carry the viewer's scope in
        # their text (`with_values_inline`, as a list's page does): their best plan is
        # that index's range whatever the words, so a plan made once per connection
        # is reused, with no prepare round trip and no planning per search (about
        # 0.5 ms each of the page and the count at a million customers).
        self.page = (
            with_values_inline(by_prefix.page)
            if by_prefix is not None
            else by_words
            if by_words is not None
            else self._limited(_LIMIT)
        )
        self.totals = (
            _inline(_counted(by_prefix.matches))
            if by_prefix is not None
            else _totals(visible_customers, matching, shape)
        )
        # A list's exact total as a column of its page (`page_of(total=True)`), for a
        # client that selected totalCount: the same count, one round trip fewer; and a
        # name search's over the prefix index. Not for ssn or voucherNumber, whose page
        # tells its total, nor over other name words (counted in the page on
        # PostgreSQL, `by_words`; by its own statement on SQLite, whose page is kept as
        # one statement for every limit).
        self.total_column = (
            None
            if (shape.words and by_prefix is None) or shape.ssn or shape.voucher_number
            else self.totals.exact.scalar_subquery().label(MATCH_TOTAL)
        )
        # Plans. The page's best plan depends on how many customers the viewer sees
        # (walk the name index for the biggest provider, sort a small one's few), so
        # it must not take a generic plan costed for the average viewer. Without name
        # words it carries the viewer's scope and its limit in its text (`page_of`,
        # raw_rows.with_values_inline): a statement of this viewer's own, reused without
        # a prepare round trip. Name words change the best plan with the words
        # themselves ("kor" or "a"): such a page (`page`) is prepared afresh for every
        # run (raw_rows.fetch `fresh_plan`), except over the prefix index (above).
        self._unlimited = None if shape.words else unlimited
        self._pages: OrderedDict[tuple[int, bool, Select[Any] | None], Select[Any]] = OrderedDict()
        if not shape.words and self.totals.capped is not None:
            self.totals = _Totals(
                exact=self.totals.exact, capped=with_values_inline(self.totals.capped)
            )

    def page_of(
        self, limit: int, *, total: bool = False, numbers: Select[Any] | None = None
    ) -> Select[Any]:
        """The page statement for `limit` rows, with the exact total as a column of each
        row when `total` (a list's; a name search's rows always carry it), and the
        viewer's customer number when `numbers` (its scope) is given.

        Without name words the limit is written into the text as well (a few page
        sizes per viewer are kept): a statement with no parameter left is one
        PostgreSQL plans generically after five runs, exactly as for these values, so
        its planning (0.25-0.3 ms a run, which a `LIMIT $1` kept costing: its generic
        plan assumes a tenth of the rows) is saved too."""
        column = self.total_column if total else None
        if self._unlimited is None and numbers is None and column is None:
            return self.page
        key = (limit if self._unlimited is not None else 0, column is not None, numbers)
        found = self._pages.get(key)
        if found is None:
            page = self.page if self._unlimited is None else self._limited(limit)
            if column is not None:
                page = page.add_columns(column)
            if numbers is not None:
                page = page.add_columns(_customer_number(numbers))
            if self._unlimited is not None:
                page = with_values_inline(page)
            found = self._pages[key] = page
            if len(self._pages) > _PAGE_SIZES_KEPT:
                self._pages.popitem(last=False)
        else:
            self._pages.move_to_end(key)
        return found


# Page statements (size, total, numbers) per viewer scope and shape: a client uses one
# or two sizes, with one or two selections.
_PAGE_SIZES_KEPT = 16
_STATEMENTS: OrderedDict[tuple[Select[Any], Select[Any], _Shape], _Statements] = OrderedDict()
_STATEMENTS_SIZE = 4096  # the policy's statement cache holds 2048 scopes; a few shapes each


def _statements(
    visible_customers: Select[Any], visible_pps: Select[Any], shape: _Shape
) -> _Statements:
    # Keyed by the scope objects themselves: the policy's cache hands equal viewers the
    # same (immutable) statements, so identity hashing finds them.
    key = (visible_customers, visible_pps, shape)
    found = _STATEMENTS.get(key)
    if found is None:
        found = _STATEMENTS[key] = _Statements(visible_customers, visible_pps, shape)
        if len(_STATEMENTS) > _STATEMENTS_SIZE:
            _STATEMENTS.popitem(last=False)
    else:
        _STATEMENTS.move_to_end(key)
    return found


async def search_customers(
    session: AsyncSession,
    visible_customers: Select[Any],
    visible_pps: Select[Any],
    search: CustomerSearch,
    *,
    first: int,
    after: str | None,
    with_total: bool = False,
    numbers: Select[Any] | None = None,
) -> Page:
    """A page of visible customers matching every criterion, and how to count them all.

    The page walks the name-order index from the cursor (keyset) and checks each row
    against the criteria and the viewer's rules, so it costs what a page costs. The
    total is counted only when `Page.total` is awaited (`totalCount` was selected), and
    then by a separate statement only when the page does not already tell it: a first
    page without a next page is the whole answer (so an ssn or voucherNumber lookup is
    one statement, the same whether its customer is absent or hidden), and a name
    search's page on PostgreSQL counts all its matches in the same pass
    (`MATCH_TOTAL`; a next page that is empty still counts separately), except over
    the prefix index, whose page stops after its rows and counts them only when
    `with_total`, as a list's does. A list's
    page counts them too when `with_total` (the client selected totalCount), and
    reads the viewer's customer numbers of its customers when `numbers` (the scope of
    the numbers the viewer may read) is given: `Page.customer_numbers`. Statements: 1
    or 2, plus 1 with `after` (the cursor's customer, checked like any other row).
    """
    # A total read after a write in the same transaction counts the write's moves.
    await write_pending_moves(session)
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    shape = _Shape(
        words=len(search.name_words),
        prefix=bool(search.name_words) and len(search.name_words[0]) >= PREFIX_CHARS,
        ssn=search.ssn is not None,
        voucher_number=search.voucher_number is not None,
        after=after is not None,
        dialect=dialect,
    )
    statements = _statements(visible_customers, visible_pps, shape)
    values: dict[str, Any] = {
        f"search_word_{index}": _like_prefix(word) for index, word in enumerate(search.name_words)
    }
    if shape.prefix:
        values["search_prefix"] = search.name_words[0][:PREFIX_CHARS]
    if search.ssn is not None:
        values["search_ssn"] = search.ssn
    if search.voucher_number is not None:
        values["search_voucher"] = search.voucher_number
    if after is not None:
        # The cursor's customer, if the viewer still sees it; one that is absent or
        # hidden is refused exactly alike, so a cursor reveals nothing.
        found = await read_rows(session, statements.cursor, {"cursor_id": decode_cursor(after)})
        if not found:
            raise BadCursor("after is not a cursor of this list")
        values.update(zip(("after_last", "after_first", "after_id"), found[0], strict=True))
    # Plans: the page is planned for its viewer (`_Statements`: the scope in its text,
    # or with name words afresh for every run). The cursor's one row
    # and a total without name words plan alike for every viewer, so they reuse one
    # prepared statement like the loaders (a round trip fewer each; at 1M customers the
    # generic total took 29 ms for the biggest provider against 34 ms custom, 0.1 ms
    # for an organizer). A total over name words depends on the words: afresh
    # (except over the prefix index, whose statements carry their scope in their text).
    page = statements.page_of(first + 1, total=with_total, numbers=numbers)
    rows = await read_rows(
        session, page, {**values, "page_limit": first + 1},
        fresh_plan=True,  # needless when its scope is in its text (raw_rows.fetch)
    )  # fmt: skip
    total_in_page = statements.total_in_page or (with_total and statements.total_column is not None)

    async def total() -> int:
        if after is None and len(rows) <= first:
            return len(rows)
        if total_in_page and rows:
            return int(getattr(rows[0], MATCH_TOTAL))
        counted = await read_rows(
            session, statements.totals.exact, values, fresh_plan=bool(search.name_words)
        )
        return int(counted[0][0] or 0)

    async def capped_total(at_most: int) -> tuple[int, bool]:
        if (
            statements.totals.capped is None
            or (after is None and len(rows) <= first)
            or (total_in_page and rows)
        ):
            # The service sets' or the provider classes' sum (exact, and as cheap), or the
            # whole answer's length.
            found = await total()
        else:
            counted = await read_rows(
                session, statements.totals.capped, {**values, "count_limit": at_most + 1},
                fresh_plan=True,
            )  # fmt: skip
            found = int(counted[0][0] or 0)
        return min(found, at_most), found <= at_most

    return Page(
        customers=rows[:first],
        total=total,
        has_next_page=len(rows) > first,
        capped_total=capped_total,
        customer_numbers=(
            None
            if numbers is None
            else {row.id: getattr(row, CUSTOMER_NUMBER) for row in rows[:first]}
        ),
    )
