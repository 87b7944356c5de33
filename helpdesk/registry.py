"""The one registry mechanism: every extension point of the project is a ``Registry``.

A lower layer owns a registry and reads it; higher apps add their entries from
``AppConfig.ready`` (DESIGN.md, layering), so the lower layer never imports them. The home
panels, dashboard sections, ticket page sections, navigation links, demo seeders, mail
handlers, worker schedules, and the built-in security form types and target systems are all
registries of this one class.

Entries are keyed: registering the same key again replaces the entry (a module imported twice
registers once), and iteration is in the registry's order (by ``order`` when it has one, then
by registration).
"""

from collections.abc import Callable, Iterable, Iterator
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class Registry(Generic[T]):
    def __init__(
        self,
        name: str,
        *,
        key: Callable[[T], str],
        order: Callable[[T], Any] | None = None,
    ) -> None:
        self.name = name
        self._key = key
        self._order = order
        self._entries: dict[str, T] = {}

    def register(self, entry: T) -> T:
        """Add ``entry`` (or replace the one with its key); returns it, so it can decorate."""
        self._entries[self._key(entry)] = entry
        return entry

    def register_all(self, entries: Iterable[T]) -> None:
        for entry in entries:
            self.register(entry)

    def unregister(self, key: str) -> None:
        self._entries.pop(key, None)

    def get(self, key: str) -> T | None:
        return self._entries.get(key)

    def __contains__(self, key: object) -> bool:
        return key in self._entries

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self) -> Iterator[T]:
        entries = list(self._entries.values())
        if self._order is not None:
            entries.sort(key=self._order)  # stable: ties keep their registration order
        return iter(entries)

    def keys(self) -> list[str]:
        return [self._key(entry) for entry in self]

    def __repr__(self) -> str:
        return f"<Registry {self.name}: {len(self)} entries>"
