"""Execution mode spawn: a pool of worker processes."""

from __future__ import annotations

import os

import pytest

from seamless_transformer import TransformationError, delayed, direct, has_spawned, spawn
from seamless_transformer.errors import SpawnError
from seamless_transformer.worker_pool import get_worker_pool_registry, shutdown_workers


@pytest.fixture
def pool():
    spawn(2)
    yield get_worker_pool_registry().get()
    shutdown_workers()


@delayed
def pid_after(x, delay):
    import os
    import time

    time.sleep(delay)
    return [x, os.getpid()]


@delayed
def rendezvous(x, folder):
    """Mark arrival in `folder`, then wait (up to 60 s) until two have arrived."""
    import os
    import time

    open(os.path.join(folder, str(x)), "w").close()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if len(os.listdir(folder)) >= 2:
            return [x, os.getpid(), True]
        time.sleep(0.05)
    return [x, os.getpid(), False]


@pytest.mark.timeout(120)
def test_workers_run_in_other_processes_in_parallel(pool, tmp_path):
    """Two transformations meet while both run: serial execution could never meet."""
    assert has_spawned()
    tfs = [rendezvous(i, str(tmp_path)).start() for i in range(2)]
    results = [tf.run() for tf in tfs]
    assert [r[0] for r in results] == [0, 1]
    assert all(r[2] for r in results), "the two transformations never ran at the same time"
    pids = {r[1] for r in results}
    assert len(pids) == 2
    assert os.getpid() not in pids
    # the pool takes more work afterwards
    assert pid_after(5, 0).run()[0] == 5


@pytest.mark.timeout(120)
def test_spawn_twice_raises_and_close_hook(pool):
    with pytest.raises(SpawnError, match="already been spawned"):
        spawn(2)
    with pytest.raises(SpawnError):
        get_worker_pool_registry().reset()
        spawn(0)
    assert not has_spawned()


@pytest.mark.timeout(120)
def test_exception_in_worker(pool):
    @direct
    def fail(x):
        raise KeyError(x)

    with pytest.raises(TransformationError, match="KeyError: 'k'"):
        fail("k")


@pytest.mark.timeout(120)
def test_nested_transformation_runs_inside_the_worker(pool):
    @direct
    def outer(x):
        import os

        from seamless.transformer import direct

        @direct
        def inner(y):
            import os

            return os.getpid()

        return [os.getpid(), inner(x)]

    outer_pid, inner_pid = outer(1)
    assert outer_pid != os.getpid()
    assert inner_pid == outer_pid


@pytest.mark.timeout(120)
def test_local_runs_in_process(pool):
    @direct
    def mypid():
        import os

        return os.getpid()

    mypid.local = True
    assert mypid() == os.getpid()


@pytest.mark.timeout(120)
def test_execution_spawn_from_config_starts_the_pool():
    from seamless_config import select

    select.select_execution("spawn")
    try:

        @direct
        def mypid2(x):
            import os

            return os.getpid()

        assert mypid2(1) != os.getpid()
        assert has_spawned()
    finally:
        shutdown_workers()


@delayed
def square_pid(x):
    import os

    return [x * x, os.getpid()]


@pytest.mark.timeout(180)
def test_1x_progress_loop_over_tasks_with_spawned_workers(pool):
    """Seamless 1.x: ``asyncio.wait([tf.task() ...], timeout=...)`` in a progress loop."""
    import asyncio

    tfs = [square_pid(i) for i in range(64)]

    async def main():
        tasks = [tf.task() for tf in tfs]
        assert all(isinstance(task, asyncio.Task) for task in tasks)
        pending = set(tasks)
        rounds = 0
        while pending:
            _, pending = await asyncio.wait(pending, timeout=0.5)
            rounds += 1
        return [task.result() for task in tasks], rounds

    results, rounds = asyncio.run(main())
    assert [r[0] for r in results] == [i * i for i in range(64)]
    assert os.getpid() not in {r[1] for r in results}  # they ran in the spawned workers
    assert rounds >= 1


@pytest.mark.timeout(120)
def test_1x_worker_module_and_idempotent_close(tmp_path):
    """Seamless 1.x: ``seamless_transformer.worker.spawn``, then ``seamless.close()`` (twice):
    no worker process is left and close reports nothing (replaces the earlier close test)."""
    import subprocess
    import sys

    script = tmp_path / "close_worker.py"
    script.write_text(
        "import multiprocessing, os\n"
        "import seamless\n"
        "from seamless.transformer import delayed\n"
        "from seamless_transformer import worker\n"
        "@delayed\n"
        "def mypid(x):\n"
        "    import os\n"
        "    return os.getpid()\n"
        "if __name__ == '__main__':\n"
        "    worker.spawn(2)\n"
        "    assert worker.has_spawned()\n"
        "    pids = {mypid(i).run() for i in range(8)}\n"
        "    assert os.getpid() not in pids\n"
        "    from seamless_transformer.worker_pool import get_worker_pool_registry\n"
        "    pids |= set(get_worker_pool_registry().get().pids())\n"
        "    seamless.close()\n"
        "    seamless.close()\n"
        "    assert not worker.has_spawned()\n"
        "    worker.shutdown_workers()\n"
        "    assert multiprocessing.active_children() == []\n"
        "    for pid in pids:\n"
        "        try:\n"
        "            os.kill(pid, 0)\n"
        "        except ProcessLookupError:\n"
        "            continue\n"
        "        raise SystemExit(f'worker {pid} still alive')\n"
        "    print('closed', len(pids) > 0)\n"
    )
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=100)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "closed True"
    assert "[seamless.close]" not in out.stderr
