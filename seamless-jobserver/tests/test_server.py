"""The jobserver against the real hashserver and database: results, errors, deduplication."""

from __future__ import annotations

import asyncio
import http.client
import json
import threading
import time
from pathlib import Path

import pytest
import wire
from seamless import Buffer, Checksum
from seamless_testing.servers import ServerHandle, run_jobserver

from seamless_remote.execution_record import MINIMAL_RECORD_KEYS

pytestmark = pytest.mark.timeout(300)


def add(a, b):
    return a + b


def logged_double(x, path):
    with open(path, "a") as stream:
        stream.write(f"{x}\n")
    return 2 * x


def fail(x):
    raise KeyError(f"no such thing: {x}")


def sleeper(seconds, tag):
    import time

    time.sleep(seconds)
    return tag


def outer(x):
    from seamless.transformer import direct

    @direct
    def inner(y):
        return y * 10

    return inner(x) + inner(x + 1)


def _value(hashserver: ServerHandle, checksum: Checksum, celltype: str = "mixed"):
    content = wire.get_buffer(hashserver.url, checksum)
    assert content is not None, f"result buffer {checksum.hex()} is not in the hashserver"
    return Buffer(content).get_value(celltype)


def test_index_and_healthcheck(jobserver_module):
    assert wire.http(f"{jobserver_module.url}/") == (200, "Seamless jobserver is running")
    assert wire.http(f"{jobserver_module.url}/healthcheck") == (200, "OK")


def test_status_file_handshake(jobserver_module):
    contents = json.loads(jobserver_module.path.read_text())
    assert contents["status"] == "running"
    assert contents["port"] == jobserver_module.port
    assert "buffer" in contents["parameters"]


def test_result_buffer_database_entry_and_record(
    jobserver_module, hashserver_session, database_session
):
    body = wire.build_request(add, 19, 23)
    wire.upload(hashserver_session.url, body)
    status, text = wire.run(jobserver_module.url, body)
    assert status == 200, text
    result = wire.result_of(text)
    runtime = json.loads(text)["record_runtime"]
    assert runtime["wall_time_seconds"] > 0 and runtime["pid"] != jobserver_module.process.pid
    assert _value(hashserver_session, result) == 42
    tf = body["tf_checksum"]
    assert tf == "b305d13f07b5d60227ab9085d44f9abc346793f684d20fd246b199907311a006"
    assert wire.database_result(database_session.url, tf) == result.hex()
    record = wire.database_record(database_session.url, tf)
    assert record is not None and set(record) == set(MINIMAL_RECORD_KEYS)
    assert record["tf_checksum"] == tf and record["result_checksum"] == result.hex()
    assert record["execution_mode"] == "remote" and record["remote_target"] == "jobserver"
    assert record["wall_time_seconds"] > 0 and record["cpu_time_user_seconds"] >= 0
    assert record["memory_peak_bytes"] > 1_000_000
    assert wire.http(f"{jobserver_module.url}/transformation-status/{tf}") == (
        200,
        json.dumps({"status": "done"}),
    )


def test_fifty_concurrent_requests_run_each_distinct_one_once(
    jobserver_module, hashserver_session, side_effects: Path
):
    values = [i % 17 for i in range(50)]  # 17 distinct transformations, most sent 3 times
    bodies = {x: wire.build_request(logged_double, x, str(side_effects)) for x in set(values)}
    for body in bodies.values():
        wire.upload(hashserver_session.url, body)
    answers = asyncio.run(wire.run_many(jobserver_module.url, [bodies[x] for x in values]))
    for x, (status, text) in zip(values, answers, strict=True):
        assert status == 200, text
        assert _value(hashserver_session, wire.result_of(text)) == 2 * x
    executions = side_effects.read_text().split()
    assert sorted(executions, key=int) == [str(x) for x in sorted(set(values))]


def test_second_jobserver_answers_from_the_database(
    remote_clients_session, hashserver_session, side_effects: Path, tmp_path: Path
):
    body = wire.build_request(logged_double, 1000, str(side_effects))
    wire.upload(hashserver_session.url, body)
    with run_jobserver(remote_clients_session, log_path=tmp_path / "first.log") as first:
        status, text = wire.run(first.url, body)
        assert status == 200, text
    assert side_effects.read_text() == "1000\n"
    with run_jobserver(remote_clients_session, log_path=tmp_path / "second.log") as second:
        status2, text2 = wire.run(second.url, body)
        assert status2 == 200, text2
    assert wire.result_of(text2) == wire.result_of(text)
    assert side_effects.read_text() == "1000\n"  # a database hit: not executed again


def test_bad_json_and_malformed_payloads_are_400(jobserver_module):
    url = jobserver_module.url
    status, text = wire.run(url, b"{not json")
    assert status == 400 and "not valid JSON" in text
    status, text = wire.run(url, b"[1, 2]")
    assert status == 400 and "JSON object" in text
    body = wire.build_request(add, 1, 2)
    status, text = wire.run(url, {**body, "tf_checksum": "xyz"})
    assert status == 400 and "tf_checksum" in text
    status, text = wire.run(url, {**body, "tf_checksum": "0" * 64})
    assert status == 400 and "is not the checksum of the transformation dict" in text
    status, text = wire.run(url, {k: v for k, v in body.items() if k != "transformation_dict"})
    assert status == 400 and "transformation_dict" in text
    status, text = wire.http(f"{url}/transformation-status/nothex")
    assert status == 400
    assert wire.http(f"{url}/healthcheck") == (200, "OK")


def test_missing_input_buffer_is_500_naming_the_checksum(jobserver_module):
    body = wire.build_request(add, 123456789, 987654321)  # inputs never uploaded
    missing = body["transformation_dict"]["a"][2]
    status, text = wire.run(jobserver_module.url, body)
    assert status == 500
    assert missing in text and "Cannot resolve" in text
    assert wire.http(f"{jobserver_module.url}/healthcheck") == (200, "OK")
    status_url = f"{jobserver_module.url}/transformation-status/{body['tf_checksum']}"
    assert wire.http(status_url) == (200, json.dumps({"status": "failed"}))


def test_raising_transformer_is_500_with_the_error_text(jobserver_module, hashserver_session):
    body = wire.build_request(fail, "frobnicator")
    wire.upload(hashserver_session.url, body)
    status, text = wire.run(jobserver_module.url, body)
    assert status == 500
    assert "KeyError" in text and "no such thing: frobnicator" in text
    assert wire.http(f"{jobserver_module.url}/healthcheck") == (200, "OK")
    # the server keeps serving real work after the failure
    ok = wire.build_request(add, 2, 3)
    wire.upload(hashserver_session.url, ok)
    status, text = wire.run(jobserver_module.url, ok)
    assert status == 200 and _value(hashserver_session, wire.result_of(text)) == 5


def test_record_mode_mismatch_is_409(jobserver_module):
    body = wire.build_request(add, 1, 2)
    status, text = wire.run(jobserver_module.url, {**body, "record": True})
    assert status == 409 and text.startswith("Jobserver record mode mismatch")


def test_nested_transformations_inside_a_job(jobserver_module, hashserver_session):
    body = wire.build_request(outer, 4)
    wire.upload(hashserver_session.url, body)
    status, text = wire.run(jobserver_module.url, body)
    assert status == 200, text
    assert _value(hashserver_session, wire.result_of(text)) == 40 + 50


def test_nested_transformations_with_one_worker(
    remote_clients_session, hashserver_session, tmp_path: Path
):
    bodies = [wire.build_request(outer, x) for x in range(100, 104)]
    for body in bodies:
        wire.upload(hashserver_session.url, body)
    with run_jobserver(remote_clients_session, workers=1, log_path=tmp_path / "js.log") as js:
        answers = asyncio.run(wire.run_many(js.url, bodies))
    for x, (status, text) in zip(range(100, 104), answers, strict=True):
        assert status == 200, text
        assert _value(hashserver_session, wire.result_of(text)) == 10 * x + 10 * (x + 1)


def test_cancel_answers_canceled_to_every_waiter(
    remote_clients_session, hashserver_session, tmp_path: Path
):
    body = wire.build_request(sleeper, 6, "cancel-me")
    wire.upload(hashserver_session.url, body)
    tf = body["tf_checksum"]
    answers: list[tuple[int, str]] = []
    with run_jobserver(remote_clients_session, log_path=tmp_path / "js.log") as js:
        status_url = f"{js.url}/transformation-status/{tf}"
        assert wire.http(status_url) == (200, json.dumps({"status": "not-running"}))
        # both requests are sent before the status is polled, so both wait for the one job
        connections = [http.client.HTTPConnection(js.host, js.port, timeout=120) for _ in range(2)]
        for connection in connections:
            connection.request("GET", "/run-transformation", body=wire.wire_body(body))

        def answer(connection: http.client.HTTPConnection) -> None:
            response = connection.getresponse()
            answers.append((response.status, response.read().decode()))

        threads = [threading.Thread(target=answer, args=(c,)) for c in connections]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 60
        while wire.http(status_url)[1] != json.dumps({"status": "running"}):
            assert time.monotonic() < deadline, "the job never started"
            time.sleep(0.05)
        status, text = wire.http(f"{js.url}/cancel-transformation/{tf}", method="POST")
        assert status == 200 and json.loads(text) == {"canceled": True, "status": "canceled"}
        for thread in threads:
            thread.join(60)
        assert answers == [(200, "Transformation was canceled")] * 2
        assert wire.http(status_url) == (200, json.dumps({"status": "canceled"}))
        status, text = wire.http(f"{js.url}/cancel-transformation/{tf}", method="POST")
        assert json.loads(text) == {"canceled": False, "status": "canceled"}
        assert wire.http(f"{js.url}/healthcheck") == (200, "OK")
