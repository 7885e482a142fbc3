"""The read side's root fields: me, customer, customers, event."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import strawberry

from ..data import models as m
from ..data import reads
from ..data.names import name_words
from ..data.search import BadCursor, CustomerSearch, encode_cursor, search_customers
from ..domain.errors import BadInput, Forbidden
from ..domain.hetu import normalize_hetu
from .context import Context, Info
from .enums import Role
from .search_log import record_search, search_fields
from .types import Customer, Event, User

MAX_PAGE = 500


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None
    has_previous_page: bool = strawberry.field(
        description="Forward-only paging: true exactly when `after` was given (its "
        "customer, visible to the viewer, comes before this page)."
    )
    start_cursor: str | None


@strawberry.type
class CustomerEdge:
    cursor: str
    node: Customer


MAX_COUNT_AT_MOST = 1_000_000
DEFAULT_COUNT_AT_MOST = 10_000


@strawberry.type(
    description="A total counted no further than a bound: `count` is the total when "
    "`isExact`, else the bound (there are more)."
)
class CappedCount:
    count: int
    is_exact: bool


@strawberry.type
class CustomerConnection:
    edges: list[CustomerEdge]
    page_info: PageInfo
    # Counted only when selected (data/search.py): most pages never ask.
    count: strawberry.Private[Callable[[], Awaitable[int]]]
    capped_count: strawberry.Private[Callable[[int], Awaitable[tuple[int, bool]]]]

    @strawberry.field
    async def total_count(self) -> int:
        return await self.count()

    @strawberry.field(
        description="The total counted no further than `atMost` customers (1..1000000): "
        "its cost is that of `atMost` customers however many match, where `totalCount` "
        'counts them all (a UI can show "10000+").'
    )
    async def total_count_at_most(self, at_most: int = DEFAULT_COUNT_AT_MOST) -> CappedCount:
        return await capped(self, at_most)


async def capped(connection: CustomerConnection, at_most: int) -> CappedCount:
    """CustomerConnection.totalCountAtMost (its batched resolver calls this too)."""
    if not 1 <= at_most <= MAX_COUNT_AT_MOST:
        raise BadInput(f"atMost must be between 1 and {MAX_COUNT_AT_MOST}")
    count, exact = await connection.capped_count(at_most)
    return CappedCount(count=count, is_exact=exact)


@strawberry.type
class Query:
    @strawberry.field(description="The signed-in user.")
    def me(self, info: Info) -> User:
        viewer = info.context.viewer
        return User(
            id=strawberry.ID(viewer.id),
            name=viewer.name,
            role=Role(viewer.role),
            provider_id=strawberry.ID(viewer.provider_id) if viewer.provider_id else None,
            organizer_id=strawberry.ID(viewer.organizer_id) if viewer.organizer_id else None,
        )

    @strawberry.field(description="null when absent or not visible.")
    async def customer(self, info: Info, id: strawberry.ID) -> Customer | None:
        row = await info.context.loaders.customer.load(str(id))
        return Customer(row=row) if row is not None else None

    @strawberry.field(description="Visible customers matching every criterion; first: 1..500.")
    async def customers(
        self,
        info: Info,
        name: str | None = None,
        ssn: str | None = None,
        voucher_number: str | None = None,
        first: int | None = 50,
        after: str | None = None,
    ) -> CustomerConnection:
        return await customers_connection(
            info.context, name=name, ssn=ssn, voucher_number=voucher_number, first=first,
            after=after,
        )  # fmt: skip

    @strawberry.field(description="null when absent, deleted or not visible.")
    async def event(self, info: Info, id: strawberry.ID) -> Event | None:
        ctx = info.context
        row = await reads.visible_event(ctx.session, ctx.gate.query("read", m.Event), str(id))
        return Event(row=row) if row is not None else None


async def customers_connection(
    ctx: Context,
    *,
    name: str | None = None,
    ssn: str | None = None,
    voucher_number: str | None = None,
    first: int | None = 50,
    after: str | None = None,
    with_total: bool = False,
    with_numbers: bool = False,
) -> CustomerConnection:
    """Query.customers. The batched executor, which sees the selection ahead
    (schema/batch_fields.py), asks for `totalCount` and the customers' `customerNumber`
    to come in the page's own statement (`with_total`, `with_numbers`: two round trips
    fewer); graphql-core's path counts and reads numbers when they are resolved."""
    if first is None:
        first = 50
    if not 1 <= first <= MAX_PAGE:
        raise BadInput(f"first must be between 1 and {MAX_PAGE}")
    words = tuple(name_words(name)) if name is not None else ()
    if words and not ctx.gate.can_search_by("name"):
        raise Forbidden("this role cannot search by name")
    normalized_ssn = None
    if ssn is not None:
        if not ctx.gate.can_search_by("ssn"):
            raise Forbidden("this role cannot search by ssn")
        normalized_ssn = normalize_hetu(ssn)
    search = CustomerSearch(
        name_words=words,
        ssn=normalized_ssn,
        voucher_number=voucher_number,
    )
    scopes = ctx.gate.scopes
    try:
        page = await search_customers(
            ctx.session,
            scopes.customers,
            scopes.purchasing_powers,
            search,
            first=first,
            after=after,
            with_total=with_total,
            numbers=scopes.customer_numbers if with_numbers else None,
        )
    except BadCursor as exc:
        raise BadInput(str(exc)) from exc
    record_search(
        ctx,
        (row.id for row in page.customers),
        search_fields(name_words=words, ssn=normalized_ssn, voucher_number=voucher_number),
    )
    # Prime the loaders: nested fields asking for these customers need no query.
    for row in page.customers:
        ctx.loaders.customer.prime(row.id, row)
    ctx.loaders.remember_customers(row.id for row in page.customers)
    if page.customer_numbers is not None:
        ctx.loaders.known(ctx.loaders.customer_number, page.customer_numbers)
    edges = [CustomerEdge(cursor=encode_cursor(r), node=Customer(row=r)) for r in page.customers]
    return CustomerConnection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=page.has_next_page,
            end_cursor=edges[-1].cursor if edges else None,
            has_previous_page=after is not None,
            start_cursor=edges[0].cursor if edges else None,
        ),
        count=page.total,
        capped_count=page.capped_total,
    )
