"""The futures of one submitted transformation: base, thin and (lazily) fat."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from distributed import Future


@dataclass(eq=False)
class TransformationFutures:
    """base (always); thin (only once someone waits for the result checksum) and fat (only
    once a consumer needs the result buffer).

    ``tf_checksum`` is None for a provisional submission (dependency case) until thin returns;
    ``dependencies`` maps dependency pins to the upstream submissions (to construct the
    downstream Transformation once their results are known).
    """

    base: Future
    keys: dict[str, str]
    tf_checksum: str | None
    thin: Future | None = None
    resources: dict[str, Any] | None = None
    fat: Future | None = None
    provisional: bool = False
    priority: int = 0
    result_checksum: str | None = None
    dependencies: dict[str, TransformationFutures] = field(default_factory=dict)
    released: bool = False

    def futures(self) -> list[Future]:
        """The live futures (base, and thin and fat when made)."""
        return [f for f in (self.base, self.thin, self.fat) if f is not None]

    def alive(self) -> bool:
        """True unless released or any future was cancelled / lost."""
        if self.released:
            return False
        return all(
            getattr(f, "status", "pending") not in ("cancelled", "lost") for f in self.futures()
        )


__all__ = ["TransformationFutures"]
