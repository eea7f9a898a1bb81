"""The typed task layer (seed 002): types, task definitions, invocation, plan fingerprints, the
graph, execution as Seamless transformations, and streams. See docs/tasks.md.

    env = TaskEnv()
    env.define_type("number", lambda v: isinstance(v, (int, float)))
    @env.task(product="number", options={"x": "number"})
    def double(x):
        return 2 * x
    env.invoke("double", {"double": {"x": 21}}).run()   # {"double": 42}
"""

from .definitions import NO_DEFAULT, Option, TaskDef, TaskEnv
from .errors import (
    InvocationError,
    InvocationProblem,
    TaskDefinitionError,
    TaskError,
    TaskFailedError,
    TypeDefinitionError,
)
from .invocation import Invocation, PlannedTask, invoke
from .types import Stream, TaskType, TypeRegistry

__all__ = [
    "Invocation",
    "InvocationError",
    "InvocationProblem",
    "NO_DEFAULT",
    "Option",
    "PlannedTask",
    "Stream",
    "TaskDef",
    "TaskDefinitionError",
    "TaskEnv",
    "TaskError",
    "TaskFailedError",
    "TaskType",
    "TypeDefinitionError",
    "TypeRegistry",
    "invoke",
]
