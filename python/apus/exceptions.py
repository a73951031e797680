"""Exceptions a handler raises to answer with an HTTP error."""
from http import HTTPStatus


class HTTPException(Exception):
    """Answered as ``{"detail": detail}`` with ``status_code`` and ``headers`` (as in FastAPI)."""

    def __init__(self, status_code, detail=None, headers=None):
        if detail is None:
            detail = HTTPStatus(status_code).phrase
        super().__init__(status_code, detail)
        self.status_code = status_code
        self.detail = detail
        self.headers = headers

    def __str__(self):
        return f"{self.status_code}: {self.detail}"

    def __repr__(self):
        return f"{type(self).__name__}(status_code={self.status_code!r}, detail={self.detail!r})"
