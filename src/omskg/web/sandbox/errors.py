"""The errors of the SPARQL sandbox, each a one-line message a caller can pass on."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from omskg.errors import OmsError

if TYPE_CHECKING:
    pass


class QueryServiceError(OmsError):
    """A query the service did not answer; ``status`` is the HTTP status that fits."""

    status: ClassVar[int] = 500


class QueryRefused(QueryServiceError):
    """An update, ``SERVICE``, ``LOAD``, or ``FROM`` outside the project's graphs: understood,
    and refused by policy (403, not 400, so that clients do not report a malformed query)."""

    status = 403


class QuerySyntaxError(QueryServiceError):
    """Not valid SPARQL, longer or more deeply nested than
    :func:`~omskg.sparql_guard.check_shape` allows, or a graph IRI of the request that is no IRI."""

    status = 400


class NotAcceptable(QueryServiceError):
    """The ``Accept`` header allows no format this kind of query gives."""

    status = 406


class ResultTooLarge(QueryServiceError):
    """The serialised answer is longer than the service's ``max_bytes``."""

    status = 400


class QueryTimeout(QueryServiceError):
    """The query ran longer than the time limit; its worker was killed."""

    status = 503


class ServiceBusy(QueryServiceError):
    """No worker became free in time."""

    status = 503


class DataUnavailable(QueryServiceError):
    """The store folder the service answers from cannot be read (moved, deleted, or its
    permissions changed) or a fresh worker cannot load the data: a fault of the server,
    for the time being (503)."""

    status = 503


class ServiceClosed(QueryServiceError):
    """The service was closed."""

    status = 503


class WorkerDied(QueryServiceError):
    """The worker stopped (crashed, was killed, could not start) while answering."""


class QueryFailed(QueryServiceError):
    """The engine failed for another reason (a read error of the store, a bug)."""


ERRORS_BY_NAME: dict[str, type[QueryServiceError]] = {
    cls.__name__: cls for cls in (QueryRefused, QuerySyntaxError, NotAcceptable, ResultTooLarge, QueryFailed)
}
