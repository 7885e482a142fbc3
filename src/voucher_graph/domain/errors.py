"""Domain exceptions, each carrying the GraphQL error code of CONTRACT.md."""

from typing import ClassVar


class DomainError(Exception):
    """Base of every rule violation; raise a subclass, whose `code` the schema layer exposes.

    Messages say what is wrong in general terms and never carry personal data
    (names, hetu) or anything the caller could not read.
    """

    code: ClassVar[str] = "INTERNAL_SERVER_ERROR"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadInput(DomainError):
    """A malformed or out-of-range value given by the user."""

    code = "BAD_USER_INPUT"


class InvalidState(DomainError):
    """The event's workflow status forbids the action."""

    code = "INVALID_STATE"


class SettlementClosed(DomainError):
    """The event's settlement date has passed, so the provider can no longer change it."""

    code = "SETTLEMENT_CLOSED"


class NoReservation(DomainError):
    """The provider has no reservation covering the content and service date."""

    code = "NO_RESERVATION"


class Forbidden(DomainError):
    """The viewer sees the object but may not do this to it."""

    code = "FORBIDDEN"


class NotFound(DomainError):
    """The object is absent or not visible to the viewer; the two are never told apart."""

    code = "NOT_FOUND"
