"""Map every failure to a contract error code, with no data, SQL or stack trace."""

from __future__ import annotations

import logging

from graphql import GraphQLError

from ..domain.errors import DomainError

logger = logging.getLogger("voucher_graph.errors")

# Codes a GraphQLError may already carry (set by validation rules of ours).
KNOWN_CODES = frozenset(
    {
        "UNAUTHENTICATED",
        "FORBIDDEN",
        "NOT_FOUND",
        "BAD_USER_INPUT",
        "SETTLEMENT_CLOSED",
        "INVALID_STATE",
        "NO_RESERVATION",
        "QUERY_TOO_COMPLEX",
    }
)
INTERNAL = "INTERNAL_SERVER_ERROR"
TOO_COMPLEX = "QUERY_TOO_COMPLEX"
# graphql-core's message when the token limit aborts parsing (graphql/language/parser.py);
# tests/hardening pin it, so an upgrade that changes it fails loudly.
TOKEN_LIMIT_MESSAGE = "Document contains more than"


# graphql-core's refusals of a document too big or deep to validate: MaxIntrospectionDepth,
# and validation giving up (too many errors, or recursion too deep). The contract's code
# for a refused document is QUERY_TOO_COMPLEX, not BAD_USER_INPUT.
REFUSED_DOCUMENT_MESSAGES = (
    TOKEN_LIMIT_MESSAGE,
    "Maximum introspection depth exceeded",
    "Validation aborted.",
)


def is_limit_error(error: GraphQLError) -> bool:
    """Whether the error is a query limit's (schema/limits.py tags them; the token limit
    and graphql-core's own refusals are recognised by their text)."""
    code = (error.extensions or {}).get("code")
    return code == TOO_COMPLEX or any(m in error.message for m in REFUSED_DOCUMENT_MESSAGES)


def error_code(error: GraphQLError) -> str:
    if is_limit_error(error):
        return TOO_COMPLEX
    original = error.original_error
    while isinstance(original, GraphQLError) and original.original_error is not None:
        original = original.original_error
    if isinstance(original, DomainError):
        return original.code
    if original is None or isinstance(original, GraphQLError):
        code = (error.extensions or {}).get("code")
        # Syntax, validation and variable errors: the client sent something malformed.
        return code if code in KNOWN_CODES else "BAD_USER_INPUT"
    return INTERNAL


def client_error(error: GraphQLError, request_id: str) -> GraphQLError:
    """The error as the client sees it: a code, and a message safe to show."""
    code = error_code(error)
    message = error.message
    if code == INTERNAL:
        logger.error(
            "unexpected error in request %s at %s",
            request_id,
            error.path,
            exc_info=error.original_error,
        )
        message = f"Internal error; quote request id {request_id}"
    elif isinstance(error.original_error, DomainError):
        message = str(error.original_error)
    return GraphQLError(
        message,
        nodes=error.nodes,
        path=error.path,
        extensions={"code": code, "requestId": request_id} if code == INTERNAL else {"code": code},
    )
