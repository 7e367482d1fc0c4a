"""Discovered objects and who owns them; ambiguous (shared) objects are never attributed to anyone."""

from __future__ import annotations

from dataclasses import dataclass

STRONG = ("created", "owns", "identity", "location", "link")
PRIORITY = {**{origin: 4 for origin in STRONG}, "listed": 2, "listed-by-admin": 1}


@dataclass(frozen=True, slots=True)
class Resource:
    """One object reachable through path parameter `param` = `value`, owned by tenant `owner`."""

    param: str
    value: str | int
    owner: str
    origin: str  # created | owns | identity | location | link | listed | listed-by-admin
    canary: str | None = None
    producer: str | None = None  # label of the operation that created it (origin "created")

    @property
    def key(self) -> tuple[str, str]:
        return (self.param, str(self.value))


class Resources:
    """Objects by (param, value). Equal-priority claims by two tenants make an object shared (excluded)."""

    def __init__(self) -> None:
        self._by_key: dict[tuple[str, str], Resource] = {}
        self.shared: set[tuple[str, str]] = set()

    def add(self, resource: Resource) -> None:
        key = resource.key
        current = self._by_key.get(key)
        if key in self.shared:
            return
        if current is None or PRIORITY[resource.origin] > PRIORITY[current.origin]:
            self._by_key[key] = resource
        elif PRIORITY[resource.origin] == PRIORITY[current.origin] and resource.owner != current.owner:
            self.shared.add(key)
            del self._by_key[key]

    def of(self, param: str, owner: str | None = None, limit: int | None = None) -> list[Resource]:
        """Objects for `param` (optionally of one owner), strongest evidence of ownership first."""
        found = [r for r in self._by_key.values() if r.param == param and (owner is None or r.owner == owner)]
        found.sort(key=lambda r: (-PRIORITY[r.origin], str(r.value)))
        return found[:limit] if limit is not None else found

    def get(self, param: str, value: object) -> Resource | None:
        return self._by_key.get((param, str(value)))

    def params(self) -> list[str]:
        return sorted({r.param for r in self._by_key.values()})

    def __len__(self) -> int:
        return len(self._by_key)
