"""A search is a disclosure: each customer it returns is logged with its criteria.

DOMAIN.md, Access log: a search by `ssn`, `name` or `voucherNumber` ties what the
searcher typed to the customers it returns, whoever searches (a REPORTER's voucher
search included), even when no identity field is read. Only the criterion's name is
noted (`search:ssn`), never the typed value; the endpoint's one access-log insert
writes these beside the identity fields of the same response.
"""

from __future__ import annotations

from collections.abc import Iterable

from .context import Context


def search_fields(
    *, name_words: tuple[str, ...], ssn: str | None, voucher_number: str | None
) -> tuple[str, ...]:
    """The access-log fields of a search's criteria (a name without words is none)."""
    fields = []
    if ssn is not None:
        fields.append("search:ssn")
    if name_words:
        fields.append("search:name")
    if voucher_number is not None:
        fields.append("search:voucherNumber")
    return tuple(fields)


def record_search(ctx: Context, customer_ids: Iterable[str], fields: tuple[str, ...]) -> None:
    """Note the search's criteria for every customer of the page it returns."""
    if not fields:
        return
    for customer_id in customer_ids:
        for field_name in fields:
            ctx.disclose(customer_id, field_name)
