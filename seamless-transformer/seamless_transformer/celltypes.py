"""Celltypes of transformer pins and results: which are allowed, and how names are normalized."""

from __future__ import annotations

from .errors import CelltypeError

#: The 13 celltypes of seamless-core.
BASIC_CELLTYPES: tuple[str, ...] = (
    "binary",
    "mixed",
    "text",
    "python",
    "ipython",
    "plain",
    "yaml",
    "str",
    "bytes",
    "int",
    "float",
    "bool",
    "checksum",
)
#: Celltypes an input pin may have.
PIN_CELLTYPES: tuple[str, ...] = BASIC_CELLTYPES + ("deepcell", "deepfolder", "folder", "module")
#: Celltypes the result may have.
RESULT_CELLTYPES: tuple[str, ...] = BASIC_CELLTYPES + ("deepcell", "folder", "deepfolder")
#: Pin celltypes that are directories for bash transformers (they get a ``__format__`` entry).
DIRECTORY_CELLTYPES: tuple[str, ...] = ("folder", "deepfolder")
#: Pin celltypes whose value is deserialized to a dict of Checksums, not resolved.
DEEP_CELLTYPES: tuple[str, ...] = ("deepcell", "deepfolder")

DEFAULT_CELLTYPE = "mixed"

_TYPE_NAMES = {int: "int", float: "float", bool: "bool", str: "str", bytes: "bytes"}


def normalize_celltype(celltype: object, *, pin: str, result: bool = False) -> str:
    """Return the celltype name for ``celltype`` (a name or a type such as ``int``), or raise."""
    allowed = RESULT_CELLTYPES if result else PIN_CELLTYPES
    if isinstance(celltype, type):
        name = _TYPE_NAMES.get(celltype)
        if name is None:
            raise CelltypeError(pin=pin, celltype=celltype, allowed=allowed)
        return name
    if not isinstance(celltype, str) or celltype not in allowed:
        raise CelltypeError(pin=pin, celltype=celltype, allowed=allowed)
    return celltype


def serialization_celltype(celltype: str) -> str:
    """The seamless-core celltype used to serialize a value of pin celltype ``celltype``."""
    if celltype in ("deepcell", "deepfolder", "folder", "module", "checksum"):
        return "plain"
    return celltype
