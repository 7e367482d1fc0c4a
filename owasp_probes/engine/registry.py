"""The probe registry: `@probe(...)` registers a probe; `discover()` imports every module of `secscan_probes.probes`."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from secscan_probes.engine.context import ApiFinding, ProbeContext

ProbeFunc = Callable[["ProbeContext"], Awaitable[Sequence["ApiFinding"]]]
T = TypeVar("T")
PROBES_PACKAGE = "secscan_probes.probes"


@dataclass(frozen=True, slots=True)
class ProbeInfo:
    """A registered probe: its `--probes` name, OWASP category and the coroutine function to run."""

    name: str
    owasp: str
    title: str
    run: ProbeFunc
    min_tenants: int = 1
    module: str = ""
    runs_last: bool = False  # e.g. bursts that trip rate limiters and would skew the others' baselines


class Registry:
    """Probes by name; registering a name twice is an error."""

    def __init__(self) -> None:
        self._probes: dict[str, ProbeInfo] = {}
        self._order: dict[str, tuple[str, int]] = {}  # name -> (module, position in that module)

    def register(self, info: ProbeInfo) -> None:
        existing = self._probes.get(info.name)
        if existing is not None and _origin(existing) != _origin(info):
            raise ValueError(f"duplicate probe name {info.name!r} ({_origin(existing)} and {_origin(info)})")
        self._probes[info.name] = info
        if info.name not in self._order:
            position = sum(1 for module, _ in self._order.values() if module == info.module)
            self._order[info.name] = (info.module, position)

    def get(self, name: str) -> ProbeInfo:
        return self._probes[name]

    def names(self) -> list[str]:
        """Module order, then definition order: never the order in which something happened to import them."""
        return sorted(self._probes, key=lambda name: self._order[name])

    def __contains__(self, name: object) -> bool:
        return name in self._probes


REGISTRY = Registry()


def _origin(info: ProbeInfo) -> str:
    """Where a probe is defined; re-registering from the same place (a module reload) is not a duplicate."""
    return f"{info.module}.{getattr(info.run, '__qualname__', '?')}"


def probe(name: str, *, owasp: str, title: str = "", min_tenants: int = 1, runs_last: bool = False,
          registry: Registry | None = None) -> Callable[[T], T]:
    """Register an `async def f(ctx) -> list[ApiFinding]`, or a class with `async def run(self, ctx)`."""

    def decorate(target: T) -> T:
        run: Any = _class_runner(target) if isinstance(target, type) else target
        info = ProbeInfo(name, owasp, title or name, run, min_tenants, getattr(target, "__module__", ""), runs_last)
        (registry or REGISTRY).register(info)
        return target

    return decorate


def _class_runner(cls: type) -> ProbeFunc:
    async def run(ctx: ProbeContext) -> Sequence[ApiFinding]:
        found: Sequence[ApiFinding] = await cls().run(ctx)
        return found

    run.__qualname__ = cls.__qualname__
    return run


def discover(package: str = PROBES_PACKAGE) -> Registry:
    """Import every module and subpackage of `package` (only probes live there) so that their `@probe`
    decorators run; returns the registry."""
    pkg = importlib.import_module(package)
    for module in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda m: m.name):
        if not module.name.startswith("_"):
            importlib.import_module(f"{package}.{module.name}")
    return REGISTRY
