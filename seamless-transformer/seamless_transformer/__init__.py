"""Seamless transformers: direct, delayed and Transformation, content-addressed and cached.

Re-exported by seamless-core as ``seamless.transformer``.
"""

import threading

from .environment import Environment
from .errors import TransformationError
from .parallel import TransformationList, parallel, parallel_async
from .transformation import Transformation
from .transformer import Transformer, delayed, direct
from .worker_pool import has_spawned, spawn

#: A process-wide lock that transformer code may use to serialize work (e.g. in tests).
global_lock = threading.Lock()

__all__ = [
    "Environment",
    "Transformation",
    "TransformationError",
    "TransformationList",
    "Transformer",
    "delayed",
    "direct",
    "global_lock",
    "has_spawned",
    "parallel",
    "parallel_async",
    "spawn",
]
