"""The request and response schemas of the DCI endpoints in the OpenAPI document (the standard's
component names and fields, SPDCI Social Registry API v1.0.0; bodies are validated in ``protocol``)."""

from __future__ import annotations

_TS = {"type": "string", "format": "date-time", "example": "2026-12-07T10:00:00+08:00"}
HEADER = {
    "type": "object", "title": "MsgHeader_V1.0.0",
    "required": ["message_id", "message_ts", "action", "sender_id", "total_count"],
    "properties": {
        "version": {"type": "string", "default": "1.0.0"}, "message_id": {"type": "string", "maxLength": 99},
        "message_ts": _TS, "action": {"type": "string"}, "sender_id": {"type": "string"},
        "sender_uri": {"type": "string", "format": "uri"}, "receiver_id": {"type": "string"},
        "total_count": {"type": "integer"}, "is_msg_encrypted": {"type": "boolean", "default": False},
        "meta": {"type": "object"},
    },
}
CALLBACK_HEADER = {
    "type": "object", "title": "MsgCallbackHeader_V1.0.0",
    "required": ["message_id", "message_ts", "action", "status"],
    "properties": {**HEADER["properties"], "status": {"type": "string", "enum": ["rcvd", "pdng", "succ", "rjct"]},
                   "status_reason_code": {"type": "string"}, "status_reason_message": {"type": "string"},
                   "completed_count": {"type": "integer"}},
}
SIGNATURE = {"type": "string", "description": "JWS (compact, payload attached or detached) over the canonical "
                                              "JSON of {header, message}; EdDSA, ES256 or RS256"}
QUERY = {"description": "idtype-value: {type, value}; expression: {type, value: {expression}}; predicate: "
                        "[{seq_num, expression1: {attribute_name, operator, attribute_value}, condition, expression2}]",
         "oneOf": [{"type": "object"}, {"type": "array", "items": {"type": "object"}}]}
SEARCH_REQUEST = {
    "type": "object", "title": "SearchRequest", "required": ["transaction_id", "search_request"],
    "properties": {"transaction_id": {"type": "string", "maxLength": 99}, "search_request": {
        "type": "array", "items": {"type": "object", "required": ["reference_id", "timestamp", "search_criteria"],
                                   "properties": {"reference_id": {"type": "string"}, "timestamp": _TS,
                                                  "search_criteria": {"type": "object", "required": ["query_type", "query"],
                                                                      "properties": {
                                                                          "version": {"type": "string"},
                                                                          "query_type": {"type": "string", "enum": [
                                                                              "idtype-value", "expression", "predicate"]},
                                                                          "query": QUERY,
                                                                          "fields": {"type": "array", "items": {"type": "string"},
                                                                                     "description": "extension: the fields wanted (a subset of the client's field set)"},
                                                                          "pagination": {"type": "object", "properties": {
                                                                              "page_size": {"type": "integer"},
                                                                              "page_number": {"type": "integer"}}},
                                                                      }},
                                                  "locale": {"type": "string"}}}}},
}
SUBSCRIBE_REQUEST = {
    "type": "object", "title": "SubscribeRequest", "required": ["transaction_id", "subscribe_request"],
    "properties": {"transaction_id": {"type": "string"}, "subscribe_request": {"type": "array", "items": {
        "type": "object", "properties": {"reference_id": {"type": "string"}, "timestamp": _TS, "subscribe_criteria": {
            "type": "object", "required": ["reg_event_type"], "properties": {
                "reg_event_type": {"type": "string", "enum": ["dibao_enter", "dibao_leave", "tekun_enter", "tekun_leave",
                                                              "roster_enter", "roster_leave", "death",
                                                              "dishonesty_effective", "dishonesty_lifted"]},
                "filter_type": {"type": "string"}, "filter": QUERY, "notify_record_type": {"type": "string"}}}}}}},
}
UNSUBSCRIBE_REQUEST = {"type": "object", "title": "UnSubscribeRequest",
                       "required": ["transaction_id", "subscription_codes"],
                       "properties": {"transaction_id": {"type": "string"}, "timestamp": _TS,
                                      "subscription_codes": {"type": "array", "items": {"type": "string"}}}}
TXN_STATUS_REQUEST = {"type": "object", "title": "TxnStatusRequest", "required": ["transaction_id", "txnstatus_request"],
                      "properties": {"transaction_id": {"type": "string"}, "txnstatus_request": {
                          "type": "object", "required": ["reference_id", "txn_type", "attribute_type", "attribute_value"],
                          "properties": {"reference_id": {"type": "string"},
                                         "txn_type": {"type": "string", "enum": ["search", "subscribe", "unsubscribe", "receipt"]},
                                         "attribute_type": {"type": "string", "enum": ["transaction_id", "reference_id_list",
                                                                                       "correlation_id"]},
                                         "attribute_value": {}}}}}
NOTIFY_REQUEST = {"type": "object", "title": "NotifyEventRequest", "required": ["transaction_id", "notify_event"],
                  "properties": {"transaction_id": {"type": "string"}, "notify_event": {"type": "array", "items": {
                      "type": "object", "properties": {"reference_id": {"type": "string"}, "timestamp": _TS, "data": {
                          "type": "object", "properties": {
                              "reg_event_type": {"type": "string", "enum": ["death", "hospital_admission",
                                                                            "disability_certificate", "unemployment"]},
                              "reg_records": {"type": "object", "description": "the person: identifier "
                                              "[{identifier_type: UIN, identifier_value}], name, event_date, "
                                              "disability_grade, disability_type, certificate_number, diagnosis"}}}}}}}}


def _envelope(message: dict) -> dict:
    return {"required": True, "content": {"application/json": {"schema": {
        "type": "object", "required": ["header", "message"],
        "properties": {"signature": SIGNATURE, "header": HEADER, "message": message}}}}}


BODY = {"sync_search": _envelope(SEARCH_REQUEST), "search": _envelope(SEARCH_REQUEST),
        "subscribe": _envelope(SUBSCRIBE_REQUEST), "unsubscribe": _envelope(UNSUBSCRIBE_REQUEST),
        "txn_status": _envelope(TXN_STATUS_REQUEST), "sync_txn_status": _envelope(TXN_STATUS_REQUEST),
        "notify": _envelope(NOTIFY_REQUEST)}

ERROR = {"type": "object", "title": "Error", "properties": {"code": {"type": "string", "enum": [
    "err.request.bad", "err.request.unauthorized", "err.request.forbidden", "err.request.not_found",
    "err.request.timeout", "err.version.not_supported", "err.request.too_many_requests", "err.sender_id.invalid",
    "err.sender_uri.invalid", "err.receiver_id.invalid", "err.signature.missing", "err.signature.invalid",
    "err.encryption.invalid", "err.service.unavailable"]}, "message": {"type": "string"}}}
ACK = {"description": "Response: acknowledgement (ACK), or ERR with the Error and, when the header is at fault, "
                      "a header with status rjct and its status_reason_code",
       "content": {"application/json": {"schema": {"type": "object", "properties": {
           "header": CALLBACK_HEADER, "message": {"type": "object", "required": ["ack_status", "timestamp"],
                                                  "properties": {"ack_status": {"type": "string", "enum": ["ACK", "NACK", "ERR"]},
                                                                 "timestamp": _TS, "correlation_id": {"type": "string"},
                                                                 "error": ERROR}}}}}}}
HTTP_ERROR = {"description": "HttpErrorResponse", "content": {"application/json": {"schema": {
    "type": "object", "properties": {"errors": {"type": "array", "items": ERROR}}}}}}
_SYNC = {"description": "the callback envelope answered at once (header action on-search / txn-on-status)",
         "content": {"application/json": {"schema": {"type": "object", "properties": {
             "header": CALLBACK_HEADER, "message": {"type": "object"}}}}}}
_COMMON = {"401": HTTP_ERROR, "403": HTTP_ERROR, "429": HTTP_ERROR, "400": ACK, "409": ACK}
RESPONSES = {"sync_search": {"200": _SYNC, **_COMMON}, "sync_txn_status": {"200": _SYNC, "404": ACK, **_COMMON},
             **{name: {"200": ACK, **_COMMON} for name in ("search", "subscribe", "unsubscribe", "txn_status", "notify")},
             "token": {"200": {"description": "access_token, token_type Bearer, expires_in, scope"},
                       "400": {"description": "RFC 6749 error"}, "401": {"description": "RFC 6749 invalid_client"}}}
TOKEN_BODY = {"required": True, "content": {"application/x-www-form-urlencoded": {"schema": {
    "type": "object", "required": ["grant_type"], "properties": {
        "grant_type": {"type": "string", "enum": ["client_credentials"]}, "scope": {"type": "string"},
        "client_id": {"type": "string"}, "client_secret": {"type": "string"}}}}}}
