"""The library versions each integration supports, and the check ``autolog`` makes.

A range is ``minimum`` to ``maximum``, both inclusive, written as release numbers; a maximum
with fewer parts covers every release below it (``1.9`` covers ``1.9.0`` ... ``1.9.7``, not
``1.10.0``). Pre- and post-release suffixes are ignored (``1.10.0rc1`` counts as ``1.10.0``).

An installed version outside its range gets one warning naming the range, and the integration
stays off: patching a library whose internals we have not tested could break the user's
training, which autolog must never do. ``set_supported_range`` replaces a range (a newer
library that is known to work, or tests that simulate an unsupported one).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from runwell.errors import InvalidArgument

_RELEASE = re.compile(r"^\s*v?(\d+(?:\.\d+)*)")


def release(version: str) -> tuple[int, ...]:
    """The numeric release parts of ``version`` (``"1.9.1rc2"`` -> ``(1, 9, 1)``)."""
    found = _RELEASE.match(version)
    if found is None:
        raise InvalidArgument(
            f"Invalid version {version!r}: expected release numbers such as '1.9' or '2.0.1'."
        )
    return tuple(int(part) for part in found.group(1).split("."))


@dataclass(frozen=True)
class SupportedRange:
    """Releases ``minimum`` to ``maximum``, inclusive (see the module docstring)."""

    minimum: str
    maximum: str

    def __post_init__(self) -> None:
        low, high = release(self.minimum), release(self.maximum)
        if low[: len(high)] > high:
            raise InvalidArgument(
                f"Invalid version range: minimum {self.minimum} is above maximum {self.maximum}."
            )

    def contains(self, version: str) -> bool:
        found = release(version)
        low, high = release(self.minimum), release(self.maximum)
        return _padded(found, len(low)) >= _padded(low, len(found)) and found[: len(high)] <= high

    def __str__(self) -> str:
        return f"{self.minimum} to {self.maximum}"


def _padded(parts: tuple[int, ...], width: int) -> tuple[int, ...]:
    return parts + (0,) * max(0, width - len(parts))


# Tested ranges; an integration registers its own with ``set_supported_range``.
_RANGES: dict[str, SupportedRange] = {}


def set_supported_range(library: str, minimum: str, maximum: str) -> None:
    """Declare (or replace) the versions of ``library`` autolog supports."""
    _RANGES[library] = SupportedRange(minimum, maximum)


def supported_range(library: str) -> SupportedRange:
    try:
        return _RANGES[library]
    except KeyError:
        raise InvalidArgument(
            f"No supported version range is declared for '{library}': expected one of "
            f"{', '.join(sorted(_RANGES))}."
        ) from None


def unsupported_message(library: str, version: str) -> str | None:
    """Why ``version`` of ``library`` is refused, or None when it is supported."""
    allowed = supported_range(library)
    if allowed.contains(version):
        return None
    return (
        f"runwell autolog supports {library} {allowed}, but {library} {version} is installed: "
        f"autologging for {library} stays off. Use a supported version, or declare this one "
        f"with runwell.autologging.versions.set_supported_range({library!r}, ...)."
    )
