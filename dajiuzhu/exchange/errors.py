"""The standard's errors (SPDCI Social Registry API v1.0.0, components ``Error``,
``MsgHeaderStatusReasonCode`` and ``HttpErrorResponse``), raised by the exchange and turned into
its JSON bodies by ``protocol.error_response`` — never ``application/problem+json``."""

from __future__ import annotations

# components.schemas.Error.code
BAD_REQUEST = "err.request.bad"
UNAUTHORIZED = "err.request.unauthorized"
FORBIDDEN = "err.request.forbidden"
NOT_FOUND = "err.request.not_found"
TOO_MANY = "err.request.too_many_requests"
VERSION = "err.version.not_supported"
SENDER_ID = "err.sender_id.invalid"
SENDER_URI = "err.sender_uri.invalid"
RECEIVER_ID = "err.receiver_id.invalid"
SIGNATURE_MISSING = "err.signature.missing"
SIGNATURE_INVALID = "err.signature.invalid"
ENCRYPTION = "err.encryption.invalid"
UNAVAILABLE = "err.service.unavailable"

# components.schemas.MsgHeaderStatusReasonCode
RJCT_VERSION = "rjct.version.invalid"
RJCT_MESSAGE_ID_DUPLICATE = "rjct.message_id.duplicate"
RJCT_MESSAGE_TS = "rjct.message_ts.invalid"
RJCT_ACTION = "rjct.action.invalid"
RJCT_ACTION_NOT_SUPPORTED = "rjct.action.not_supported"
RJCT_TOTAL_COUNT = "rjct.total_count.invalid"
RJCT_TOTAL_COUNT_LIMIT = "rjct.total_count.limit_exceeded"

# components.schemas.SearchStatusReasonCode
SEARCH_REFERENCE_ID = "rjct.reference_id.invalid"
SEARCH_REFERENCE_DUPLICATE = "rjct.reference_id.duplicate"
SEARCH_TIMESTAMP = "rjct.timestamp.invalid"
SEARCH_CRITERIA = "rjct.search_criteria.invalid"
SEARCH_FILTER = "rjct.filter.invalid"
SEARCH_SORT = "rjct.sort.invalid"
SEARCH_PAGINATION = "rjct.pagination.invalid"
SEARCH_TOO_MANY = "rjct.search.too_many_records_found"

# components.schemas.SubscribeStatusReasonCode
SUB_NOTIFY_TYPES = "rjct.notify_types.invalid"
SUB_NOTIFY_DETAILS = "rjct.notify_details.invalid"
SUB_ALREADY = "rjct.event.already_subscribed"

# components.schemas.UnSubscribeStatusReasonCode
UNSUB_CODE = "rjct.subscription_code.invalid"
UNSUB_REQUESTER = "rjct.requester.invalid"
UNSUB_ALREADY = "rjct.event.already_unsubscribed"

HTTP_STATUS = {
    BAD_REQUEST: 400, UNAUTHORIZED: 401, FORBIDDEN: 403, NOT_FOUND: 404, TOO_MANY: 429, VERSION: 400,
    SENDER_ID: 400, SENDER_URI: 400, RECEIVER_ID: 400, SIGNATURE_MISSING: 401, SIGNATURE_INVALID: 401,
    ENCRYPTION: 400, UNAVAILABLE: 503,
}


class DciError(Exception):
    """A refusal of the whole message: ``code`` from the standard's ``Error`` enum, and where the header
    is at fault the header's ``status_reason_code`` too."""

    def __init__(self, code: str, message: str, *, reason: str = "", status: int | None = None):
        super().__init__(message)
        self.code, self.message, self.reason = code, message, reason
        self.status = status or HTTP_STATUS.get(code, 400)


class ItemRejected(Exception):
    """One request of a batch (``search_request[i]``, ``subscribe_request[i]``) refused with a reason code."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason, self.message = reason, message
