"""A screen over the dashboard that follows the live state: the app hands it every new snapshot."""

from __future__ import annotations

from textual.screen import Screen

from ..snapshot import Snapshot


class LiveScreen(Screen[None]):
    """Subclasses render `follow(snapshot)`; it is called once when the screen opens (with the last
    snapshot, if any) and then with each new one while the screen is on the stack."""

    def follow(self, snap: Snapshot) -> None:  # pragma: no cover - each screen renders its own part
        raise NotImplementedError
