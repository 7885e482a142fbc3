"""GraphQL over HTTP: the application/graphql-response+json media type and its status
codes, and the request errors the spec names (several operations, none named)."""

from __future__ import annotations

import functools
import json

from graphql import GraphQLError, OperationDefinitionNode, parse
from starlette.requests import Request
from starlette.responses import Response

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"
CACHE_SIZE = 256


def _quality(accept: str) -> dict[str, float]:
    """Media type -> q of an Accept header (parameters other than q ignored)."""
    found: dict[str, float] = {}
    for item in accept.split(","):
        media, *params = (part.strip() for part in item.split(";"))
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if media:
            found[media.lower()] = max(q, found.get(media.lower(), 0.0))
    return found


def wants_graphql_response(request: Request) -> bool:
    """The client accepts application/graphql-response+json at least as much as JSON.

    Without it (no Accept, */*, application/json) the answer stays application/json,
    the legacy media type, whose request errors answer 200 as before."""
    return _prefers_graphql_response(request.headers.get("accept", ""))


@functools.lru_cache(maxsize=CACHE_SIZE)
def _prefers_graphql_response(accept: str) -> bool:
    # By header text: a client sends the same Accept with every request.
    quality = _quality(accept)
    preferred = quality.get(GRAPHQL_RESPONSE, 0.0)
    return preferred > 0 and preferred >= quality.get(JSON, 0.0)


def mark_request_error(request: Request) -> None:
    """The response about to be made is a request error: nothing was executed."""
    request.state.vg_request_error = True


def finish(request: Request, response: Response) -> Response:
    """The response in the media type the client asked for, with that type's status.

    For application/graphql-response+json, a request error (the document failed to parse
    or validate, was refused by the limits, named no single operation...) has no `data`
    and answers 400; an executed operation answers 200 even when data is null."""
    if not wants_graphql_response(request):
        return response
    if response.headers.get("content-type", "").split(";")[0].strip() != JSON:
        return response  # GraphiQL's page, an empty 204
    request_error = response.status_code != 200 or getattr(request.state, "vg_request_error", False)
    if not request_error:
        response.headers["content-type"] = f"{GRAPHQL_RESPONSE}; charset=utf-8"
        return response
    body = json.loads(bytes(response.body))
    if isinstance(body, dict):
        body.pop("data", None)
    headers = {
        k: v for k, v in response.headers.items() if k not in ("content-length", "content-type")
    }
    return Response(
        json.dumps(body, separators=(",", ":")),
        status_code=response.status_code if response.status_code != 200 else 400,
        headers=headers,
        media_type=f"{GRAPHQL_RESPONSE}; charset=utf-8",
    )


def is_request_error(data: object, errors: list[GraphQLError] | None) -> bool:
    """Nothing was executed: no data, and no error belongs to a field (has a path)."""
    return data is None and bool(errors) and all(e.path is None for e in errors or ())


class OperationCheck:
    """The spec's rule that Strawberry does not apply: a document with several operations
    needs operationName (Strawberry would run the first); a name must exist."""

    def __init__(self, max_tokens: int) -> None:
        self.max_tokens = max_tokens
        self._names = functools.lru_cache(maxsize=CACHE_SIZE)(self._names_uncached)

    def _names_uncached(self, query: str) -> tuple[str | None, ...] | None:
        try:
            document = parse(query, max_tokens=self.max_tokens)
        except GraphQLError:
            return None  # reported by the limits or by Strawberry
        return tuple(
            d.name.value if d.name else None
            for d in document.definitions
            if isinstance(d, OperationDefinitionNode)
        )

    def errors(self, query: str, operation_name: str | None) -> list[GraphQLError]:
        names = self._names(query)
        if names is None:
            return []
        if not operation_name and len(names) > 1:
            message = "the document has several operations: name the one to run in operationName"
        elif operation_name and operation_name not in names:
            message = f"the document has no operation named {operation_name!r}"
        else:
            return []
        return [GraphQLError(message, extensions={"code": "BAD_USER_INPUT"})]
