"""Drives the Workbench kernel (with its echo test backend) through jupyter_client, one scenario per run.

usage: python3 scenarios.py SCENARIO   (kernel_info, execute, display, error, complete, interrupt, restart, shutdown,
                                       shutdown_stuck)
"""

import os
import signal
import statistics
import time

from common import TIMEOUT, check, execute, iopub_until_idle, is_complete, main, shell_reply, start, stop, wait_running


def kernel_info():
    km, kc, first_reply = start()
    try:
        content = kc.kernel_info(reply=True, timeout=TIMEOUT)["content"]
        check(content["protocol_version"] == "5.3", f"protocol_version {content['protocol_version']}")
        check(content["implementation"] == "workbench", f"implementation {content['implementation']}")
        language = content["language_info"]
        expected = {"name": "csharp", "mimetype": "text/x-csharp", "file_extension": ".cs",
                    "pygments_lexer": "csharp", "codemirror_mode": "text/x-csharp"}
        for key, value in expected.items():
            check(language.get(key) == value, f"language_info[{key}] = {language.get(key)!r}, expected {value!r}")
        check(language.get("version"), "language_info has no version")
        check(content["banner"], "empty banner")
        check(isinstance(content["help_links"], list) and content["help_links"][0]["url"], "help_links missing")
        check(kc.hb_channel.is_beating(), "heartbeat not beating")
        return {"first_kernel_info_reply_s": first_reply}
    finally:
        stop(km, kc)


def execute_cells():
    km, kc, _ = start()
    try:
        reply, iopub = execute(kc, "echo hello\nvalue 42")
        types = [m["msg_type"] for m in iopub]
        check(types == ["status", "execute_input", "stream", "execute_result", "status"], f"iopub order {types}")
        check(iopub[0]["content"]["execution_state"] == "busy", "first status is not busy")
        check(iopub[1]["content"] == {"code": "echo hello\nvalue 42", "execution_count": 1}, f"execute_input {iopub[1]['content']}")
        check(iopub[2]["content"] == {"name": "stdout", "text": "hello\n"}, f"stream {iopub[2]['content']}")
        check(iopub[3]["content"]["data"] == {"text/plain": "42"}, f"execute_result {iopub[3]['content']}")
        check(iopub[3]["content"]["execution_count"] == 1, "execute_result count")
        check(reply["content"]["status"] == "ok" and reply["content"]["execution_count"] == 1, f"reply {reply['content']}")

        reply, _ = execute(kc, "echo two")
        check(reply["content"]["execution_count"] == 2, f"second count {reply['content']}")
        reply, iopub = execute(kc, "echo quiet", silent=True)
        check([m["msg_type"] for m in iopub] == ["status", "status"], f"silent cell published {[m['msg_type'] for m in iopub]}")
        check(reply["content"]["execution_count"] == 2, "silent cell advanced the count")
        reply, _ = execute(kc, "echo unstored", store_history=False)
        check(reply["content"]["execution_count"] == 2, "store_history=False advanced the count")
        reply, _ = execute(kc, "echo three")
        check(reply["content"]["execution_count"] == 3, f"third count {reply['content']}")

        # Round trip of a trivial cell: request out, reply and idle status back.
        timings = []
        for _ in range(30):
            t0 = time.perf_counter()
            reply, _ = execute(kc, "echo x")
            timings.append(time.perf_counter() - t0)
            check(reply["content"]["status"] == "ok", "trivial cell failed")
        return {"trivial_cell_median_ms": 1000 * statistics.median(timings),
                "trivial_cell_max_ms": 1000 * max(timings)}
    finally:
        stop(km, kc)


def display():
    km, kc, _ = start()
    try:
        reply, iopub = execute(kc, "display progress 10%\necho working\nupdate progress 100%")
        check(reply["content"]["status"] == "ok", f"reply {reply['content']}")
        shown = [m for m in iopub if m["msg_type"] == "display_data"]
        updated = [m for m in iopub if m["msg_type"] == "update_display_data"]
        check(len(shown) == 1 and len(updated) == 1, f"iopub {[m['msg_type'] for m in iopub]}")
        check(shown[0]["content"]["data"]["text/plain"] == "10%", f"display_data {shown[0]['content']}")
        check(shown[0]["content"]["transient"] == {"display_id": "progress"}, "display_data display_id")
        check(updated[0]["content"]["data"] == {"text/plain": "100%", "text/html": "<b>100%</b>"}, f"update {updated[0]['content']}")
        check(updated[0]["content"]["transient"] == {"display_id": "progress"}, "update_display_data display_id")
        # Outputs are parented to the request and ordered as the cell produced them.
        check([m["msg_type"] for m in iopub][2:5] == ["display_data", "stream", "update_display_data"], "output order")
    finally:
        stop(km, kc)


def error():
    km, kc, _ = start()
    try:
        reply, iopub = execute(kc, "echo before\nerror ValueError bad value\necho never")
        content = reply["content"]
        check(content["status"] == "error", f"reply status {content['status']}")
        check((content["ename"], content["evalue"]) == ("ValueError", "bad value"), f"reply {content}")
        errors = [m for m in iopub if m["msg_type"] == "error"]
        check(len(errors) == 1, f"iopub {[m['msg_type'] for m in iopub]}")
        check(errors[0]["content"]["ename"] == "ValueError", "error ename")
        check(errors[0]["content"]["traceback"][0] == "ValueError: bad value", f"traceback {errors[0]['content']['traceback']}")
        streams = [m["content"]["text"] for m in iopub if m["msg_type"] == "stream"]
        check(streams == ["before\n"], f"the cell ran past its error: {streams}")

        # stop_on_error: a cell queued behind a failing one is aborted; a later one runs.
        failing = kc.execute("sleep 0.3\nerror RuntimeError stop here", stop_on_error=True)
        queued = kc.execute("echo queued")
        content = shell_reply(kc, failing, "execute_reply")["content"]
        check(content["status"] == "error", f"failing cell {content}")
        content = shell_reply(kc, queued, "execute_reply")["content"]
        check(content["status"] == "aborted", f"queued cell {content}")
        reply, _ = execute(kc, "echo after")
        check(reply["content"]["status"] == "ok", "cell after the abort failed")

        # A backend that throws (a bug, not a cell error) fails that cell only: the kernel stays up and serves.
        reply, iopub = execute(kc, "echo first\nthrow backend bug", stop_on_error=False)
        content = reply["content"]
        check((content["status"], content["ename"], content["evalue"]) == ("error", "InvalidOperationException", "backend bug"),
              f"reply to a throwing backend {content}")
        check(any(m["msg_type"] == "error" for m in iopub), f"no error on IOPub: {[m['msg_type'] for m in iopub]}")
        check(kc.kernel_info(reply=True, timeout=TIMEOUT)["content"]["status"] == "ok", "kernel_info after the throw")
        reply, iopub = execute(kc, "echo still here")
        check(reply["content"]["status"] == "ok" and km.is_alive(), f"cell after the throw {reply['content']}")
    finally:
        stop(km, kc)


def complete():
    km, kc, _ = start()
    try:
        content = kc.complete("ec", 2, reply=True, timeout=TIMEOUT)["content"]
        check(content["status"] == "ok" and content["matches"] == ["echo"], f"complete {content}")
        check((content["cursor_start"], content["cursor_end"]) == (0, 2), f"complete range {content}")
        # Cursor offsets are code points: the emoji counts once.
        code = "echo \U0001F600\nsl"
        content = kc.complete(code, len(code), reply=True, timeout=TIMEOUT)["content"]
        check(content["matches"] == ["sleep"], f"complete after emoji {content}")
        check((content["cursor_start"], content["cursor_end"]) == (len(code) - 2, len(code)), f"range after emoji {content}")

        content = kc.inspect("sleep 3", 2, reply=True, timeout=TIMEOUT)["content"]
        check(content["status"] == "ok" and content["found"], f"inspect {content}")
        check(content["data"]["text/plain"].startswith("sleep SECONDS"), f"inspect text {content['data']}")
        content = kc.inspect("nothing", 2, reply=True, timeout=TIMEOUT)["content"]
        check(not content["found"], f"inspect of unknown word {content}")

        for code, status in [("echo a", "complete"), ("echo a \\", "incomplete"), ("bogus", "invalid")]:
            content = is_complete(kc, code)
            check(content["status"] == status, f"is_complete({code!r}) = {content}")
        check(is_complete(kc, "echo a \\")["indent"] == "    ", "indent")

        content = kc.history(reply=True, timeout=TIMEOUT)["content"]
        check(content == {"status": "ok", "history": []}, f"history {content}")
        content = kc.comm_info(reply=True, timeout=TIMEOUT)["content"]
        check(content == {"status": "ok", "comms": {}}, f"comm_info {content}")
    finally:
        stop(km, kc)


def interrupt():
    # A kernel started from a background job (or under nohup) inherits SIGINT ignored; it must still take
    # interrupt_mode "signal". The kernel started below inherits this process's ignored SIGINT.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    km, kc, _ = start()
    try:
        msg_id = kc.execute("sleep 30")
        wait_running(kc, msg_id)
        t0 = time.perf_counter()
        km.interrupt_kernel()
        reply = shell_reply(kc, msg_id, "execute_reply")
        elapsed = time.perf_counter() - t0
        check(reply["content"]["status"] in ("error", "aborted"), f"interrupted reply {reply['content']}")
        check(elapsed < 5, f"interrupt took {elapsed:.2f} s")
        iopub_until_idle(kc, msg_id)
        reply, iopub = execute(kc, "echo after")
        check(reply["content"]["status"] == "ok", f"cell after interrupt {reply['content']}")
        check(any(m["msg_type"] == "stream" and m["content"]["text"] == "after\n" for m in iopub), "no output after interrupt")
        check(km.is_alive(), "kernel died")

        # interrupt_mode "signal" (and Ctrl-C in the terminal that runs Jupyter) delivers SIGINT instead:
        # it must interrupt the cell, not kill the kernel.
        msg_id = kc.execute("sleep 30")
        wait_running(kc, msg_id)
        t0 = time.perf_counter()
        km.signal_kernel(signal.SIGINT)
        reply = shell_reply(kc, msg_id, "execute_reply")
        signal_elapsed = time.perf_counter() - t0
        check(signal_elapsed < 5, f"SIGINT took {signal_elapsed:.2f} s to interrupt")
        check(reply["content"]["status"] == "error", f"reply after SIGINT {reply['content']}")
        iopub_until_idle(kc, msg_id)
        check(km.is_alive(), "SIGINT killed the kernel")
        reply, _ = execute(kc, "echo after signal")
        check(reply["content"]["status"] == "ok", "cell after SIGINT failed")
        return {"interrupt_reply_s": elapsed, "sigint_reply_s": signal_elapsed}
    finally:
        stop(km, kc)


def restart():
    km, kc, _ = start()
    try:
        execute(kc, "echo one")
        reply, _ = execute(kc, "echo two")
        check(reply["content"]["execution_count"] == 2, "count before restart")
        old = km.provisioner.process
        t0 = time.perf_counter()
        km.restart_kernel()
        kc.wait_for_ready(timeout=TIMEOUT)
        elapsed = time.perf_counter() - t0
        # The old process exited by itself after shutdown_request(restart=True): not killed, exit code 0.
        check(old.returncode == 0, f"old kernel exit code {old.returncode}")
        check(km.provisioner.process.pid != old.pid, "no new process")
        reply, iopub = execute(kc, "echo fresh")
        check(reply["content"]["execution_count"] == 1, f"count after restart {reply['content']}")
        check(any(m["msg_type"] == "stream" for m in iopub), "no output after restart")

        # A kernel that takes seconds to come up (the notebook engine on a busy machine): wait_for_ready sends
        # a kernel_info_request each second until one is answered, the new kernel answers every one, and the
        # next cell must still get its own reply and a fresh count.
        old = km.provisioner.process
        km.restart_kernel(env={**os.environ, "WORKBENCH_TESTHOST_START_DELAY_S": "2.5"})
        kc.wait_for_ready(timeout=TIMEOUT)
        check(old.returncode == 0, f"kernel before the slow restart: exit code {old.returncode}")
        reply, iopub = execute(kc, "echo after a slow start")
        check(reply["content"]["execution_count"] == 1, f"count after the slow restart {reply['content']}")
        check(any(m["msg_type"] == "stream" and m["content"]["text"] == "after a slow start\n" for m in iopub),
              "no output after the slow restart")
        return {"restart_s": elapsed}
    finally:
        stop(km, kc)


def shutdown():
    km, kc, _ = start()
    process = km.provisioner.process
    t0 = time.perf_counter()
    km.shutdown_kernel(now=False)
    elapsed = time.perf_counter() - t0
    kc.stop_channels()
    check(process.returncode == 0, f"exit code {process.returncode} (killed instead of exiting?)")
    # jupyter_client sends SIGTERM after half its 5 s wait; a clean exit comes well before that.
    check(elapsed < 2.5, f"shutdown took {elapsed:.2f} s")
    check(not km.is_alive(), "kernel still alive")
    return {"shutdown_s": elapsed}


def shutdown_stuck():
    # A cell deaf to cancellation (stuck in native code, say) must not keep the kernel from exiting: the kernel
    # answers shutdown_request, waits its grace period (2 s) for the cell, then exits by itself, with code 0.
    km, kc, _ = start()
    process = km.provisioner.process
    try:
        msg_id = kc.execute("hang 30")
        wait_running(kc, msg_id)
        t0 = time.perf_counter()
        shutdown_id = kc.shutdown()
        reply = kc.get_control_msg(timeout=TIMEOUT)
        check(reply["parent_header"]["msg_id"] == shutdown_id and reply["msg_type"] == "shutdown_reply",
              f"{reply['msg_type']} instead of the shutdown_reply")
        process.wait(timeout=TIMEOUT)
        elapsed = time.perf_counter() - t0
        check(process.returncode == 0, f"exit code {process.returncode}")
        # The grace period once, not twice (jupyter_client would kill the kernel 5 s after the request).
        check(elapsed < 3.5, f"the kernel took {elapsed:.2f} s to exit")
        return {"shutdown_stuck_s": elapsed}
    finally:
        stop(km, kc)


SCENARIOS = {
    "kernel_info": kernel_info, "execute": execute_cells, "display": display, "error": error,
    "complete": complete, "interrupt": interrupt, "restart": restart, "shutdown": shutdown,
    "shutdown_stuck": shutdown_stuck,
}

if __name__ == "__main__":
    main(SCENARIOS, "scenarios.py")
