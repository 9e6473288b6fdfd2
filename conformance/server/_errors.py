"""The API's error envelope, raised as an exception anywhere and rendered in one place."""

from __future__ import annotations

from starlette.responses import JSONResponse

STATUS_ERROR_TYPES: dict[int, str] = {
    400: "invalid_request_error",
    401: "authentication_error",
    402: "billing_error",
    403: "permission_error",
    404: "not_found_error",
    405: "invalid_request_error",
    409: "conflict_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    504: "timeout_error",
    529: "overloaded_error",
}


class ApiError(Exception):
    """An error the API reports in its envelope: `{"type":"error","error":{type,message},"request_id"}`."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        error_type: str | None = None,
        headers: dict[str, str] | None = None,
        details: dict[str, object] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.error_type = error_type or STATUS_ERROR_TYPES.get(status, "api_error")
        self.headers = headers or {}
        self.details = details
        """`error.details` (e.g. `{"error_code": "file_not_downloadable"}`), absent when None."""


def invalid_request(message: str) -> ApiError:
    return ApiError(400, message)


def not_found(message: str) -> ApiError:
    return ApiError(404, message)


def error_body(error_type: str, message: str, request_id: str | None, details: dict[str, object] | None = None) -> dict[str, object]:
    error: dict[str, object] = {"type": error_type, "message": message}
    if details is not None:
        error["details"] = details
    return {"type": "error", "error": error, "request_id": request_id}


def error_response(exc: ApiError, request_id: str) -> JSONResponse:
    headers = {"request-id": request_id, "x-should-retry": "true" if exc.status in (408, 409, 429) or exc.status >= 500 else "false"}
    headers.update(exc.headers)
    return JSONResponse(error_body(exc.error_type, exc.message, request_id, exc.details), status_code=exc.status, headers=headers)
