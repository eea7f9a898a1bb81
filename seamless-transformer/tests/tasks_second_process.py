"""Run in a second process by test_tasks_run.py: status, then a run, printed as JSON."""

from __future__ import annotations

import json
import sys


def main() -> None:
    import seamless_config

    clients, log, n = json.loads(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    seamless_config.set_remote_clients(clients)
    from tasks_pipeline_module import make_env, options

    invocation = make_env().invoke("report", options(log, n))
    status = invocation.status()
    run = invocation.start()
    run.wait(120)
    print(json.dumps({"status": status, "states": run.states, "result": run.results()}))
    import seamless

    seamless.close()


if __name__ == "__main__":
    main()
