"""Scope: requests may only go to the base URL's scheme, host and port."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True, slots=True)
class Scope:
    scheme: str
    host: str
    port: int

    @classmethod
    def of(cls, url: str) -> Scope:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        return cls(scheme, (parts.hostname or "").lower(), parts.port or DEFAULT_PORTS.get(scheme, 0))

    def allows(self, url: str) -> bool:
        """True when `url` (absolute) has exactly this scheme, host and port."""
        try:
            return Scope.of(url) == self
        except ValueError:  # e.g. an invalid port
            return False

    @property
    def origin(self) -> str:
        return f"{self.scheme}://{self.host}:{self.port}"


def absolute(base_url: str, target: str) -> str:
    """`target` (a path such as /books/3, or a full URL) as an absolute URL under `base_url`."""
    if urlsplit(target).scheme:
        return target
    if target.startswith("//"):
        return urljoin(base_url, target)
    return base_url.rstrip("/") + "/" + target.lstrip("/")
