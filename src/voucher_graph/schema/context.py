"""The per-request context: viewer, session, policy gate, loaders, today."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from aiodataloader import DataLoader
from strawberry.types import Info as StrawberryInfo

from ..data.access_log import AccessLogGroup
from ..data.engine import Session
from ..data.loaders import Loaders
from ..data.viewer import Viewer
from ..domain.amounts import Amounts, EventFacts
from ..domain.errors import Forbidden
from ..policies.gate import Gate
from ..settings import Settings

if TYPE_CHECKING:
    from .access import AccessReason


@dataclass
class Context:
    settings: Settings
    session: Session
    viewer: Viewer
    gate: Gate
    loaders: Loaders
    today: date
    request_id: str = ""
    operation_name: str | None = None
    # customer id -> identity fields disclosed in this response (the access log).
    disclosed: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    # purchasing power id -> event id -> amounts, computed once per request.
    amounts_cache: dict[str, dict[str, Amounts]] = field(default_factory=dict)
    # purchasing power id -> the domain's view of its events.
    facts_cache: dict[str, list[EventFacts]] = field(default_factory=dict)
    # purchasing power id -> (the facts summed, used units by content id).
    units_cache: dict[str, tuple[list[EventFacts], dict[str, Decimal]]] = field(
        default_factory=dict
    )
    # The mount point, and the public address: print links are absolute URLs. The
    # address is made only when a link needs it (reading the request's URL was about
    # 3 % of a small query).
    root_path: str = ""
    base_url_of: Callable[[], str] | None = None
    # "query" or "mutation", set when execution starts (schema/limits.py); app.py retries
    # a failed access-log commit of a query only.
    operation_type: str | None = None
    # Customer.access for every customer of the response in one batch (schema/access.py).
    access_loader: DataLoader[str, list[AccessReason]] | None = None
    # Run by `release` (the executor breaks its reference cycles there).
    release_hooks: list[Callable[[], None]] = field(default_factory=list)
    # The operation's result, kept until the response has been sent (app.py): freeing
    # its dicts then costs the client no wait.
    answered: Any = None
    # The process's group commit of access-log entries (data/access_log.py); None
    # writes each response's entries alone.
    access_log_group: AccessLogGroup | None = None

    def release(self) -> None:
        """Drop the rows and facts this request read, once it has been answered.

        The loaders refer to one another through their batch functions, a cycle that
        only the garbage collector frees, and with it every row and fact it holds
        (about 4,700 objects for a page of 100). The collector then ran in the middle
        of a later page every twenty pages or so, walking that page's live objects:
        30-35 ms, the pages' p95. Emptied here, the cycle holds almost nothing."""
        self.loaders.release()
        self.answered = None
        self.base_url_of = None  # it holds the request, whose state holds this context
        hooks, self.release_hooks = self.release_hooks, []
        for hook in hooks:
            hook()
        self.disclosed.clear()  # written to the access log before the answer left
        self.amounts_cache.clear()
        self.facts_cache.clear()
        self.units_cache.clear()
        if self.access_loader is not None:
            self.access_loader.clear_all()

    def base_url(self) -> str:
        """VOUCHER_GRAPH_PUBLIC_URL or the request's own address; "" outside HTTP."""
        return self.base_url_of() if self.base_url_of is not None else ""

    def on_release(self, hook: Callable[[], None]) -> None:
        self.release_hooks.append(hook)

    def disclose(self, customer_id: str, field_name: str) -> None:
        self.disclosed[customer_id].add(field_name)

    def acting_provider(self, refusal: str) -> str:
        """The viewer's provider, once the policy has admitted the viewer to an action
        that only provider users are admitted to (policies/polar/ states who).

        The policy is the one place of that rule; this only gives the type checker the
        provider id, and fails closed (FORBIDDEN, `refusal`) should the rule change."""
        if self.viewer.provider_id is None:
            raise Forbidden(refusal)
        return self.viewer.provider_id


Info = StrawberryInfo[Context, None]
