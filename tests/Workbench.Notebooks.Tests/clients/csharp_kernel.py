"""Drives the Workbench C# kernel (`workbench kernel start`, the notebook engine) through jupyter_client.

usage: python3 csharp_kernel.py SCENARIO   (session, interrupt, restart)

The kernelspec is found through JUPYTER_PATH (set by the calling test to a temporary prefix). The script
prints one JSON object on its last stdout line with what it measured, and exits 1 with the reason on
stderr when a check fails.
"""

import json
import signal
import statistics
import sys
import time

import jupyter_client

KERNEL_NAME = "workbench-csharp"
# The first cell compiles with a cold compiler; on a loaded two-core machine that can take a while.
TIMEOUT = 120


class CheckFailed(Exception):
    pass


def check(condition, message):
    if not condition:
        raise CheckFailed(message)


def start():
    t0 = time.perf_counter()
    km = jupyter_client.KernelManager(kernel_name=KERNEL_NAME)
    km.start_kernel()
    kc = km.client()
    kc.start_channels()
    reply = kc.kernel_info(reply=True, timeout=TIMEOUT)
    first_reply = time.perf_counter() - t0
    check(reply["content"]["status"] == "ok", f"kernel_info_reply not ok: {reply['content']}")
    kc.wait_for_ready(timeout=TIMEOUT)
    return km, kc, first_reply


def stop(km, kc):
    kc.stop_channels()
    if km.is_alive():
        km.shutdown_kernel(now=False)


def iopub_until_idle(kc, msg_id, timeout=TIMEOUT):
    messages = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        msg = kc.get_iopub_msg(timeout=max(0.01, deadline - time.monotonic()))
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        messages.append(msg)
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            return messages
    raise CheckFailed(f"no idle status for {msg_id}; got {[m['msg_type'] for m in messages]}")


def execute(kc, code, **kwargs):
    msg_id = kc.execute(code, **kwargs)
    reply = kc.get_shell_msg(timeout=TIMEOUT)
    check(reply["parent_header"]["msg_id"] == msg_id, "execute_reply answers another request")
    return reply["content"], iopub_until_idle(kc, msg_id)


def of_type(iopub, msg_type):
    return [m["content"] for m in iopub if m["msg_type"] == msg_type]


def wait_running(kc, msg_id):
    while True:
        msg = kc.get_iopub_msg(timeout=TIMEOUT)
        if msg["parent_header"].get("msg_id") == msg_id and msg["msg_type"] == "execute_input":
            return


def is_complete(kc, code):
    msg_id = kc.is_complete(code)
    reply = kc.get_shell_msg(timeout=TIMEOUT)
    check(reply["parent_header"]["msg_id"] == msg_id, "is_complete_reply answers another request")
    return reply["content"]


def session():
    km, kc, first_reply = start()
    try:
        info = kc.kernel_info(reply=True, timeout=TIMEOUT)["content"]
        language = info["language_info"]
        check(language["name"] == "csharp" and language["file_extension"] == ".cs", f"language_info {language}")
        check(language["version"], "language_info has no version")

        t0 = time.perf_counter()
        reply, iopub = execute(kc, "var x = 40 + 2; x")
        first_cell = time.perf_counter() - t0
        check(reply["status"] == "ok", f"first cell {reply}")
        results = of_type(iopub, "execute_result")
        check(len(results) == 1 and results[0]["data"]["text/plain"] == "42", f"execute_result {results}")
        check(results[0]["execution_count"] == reply["execution_count"] == 1, f"counts {results} {reply}")

        # State carries over between cells.
        reply, iopub = execute(kc, "var y = x * 2;\ny + 1")
        check(of_type(iopub, "execute_result")[0]["data"]["text/plain"] == "85", f"state {of_type(iopub, 'execute_result')}")
        check(reply["execution_count"] == 2, f"second count {reply}")

        # Console output becomes stream messages.
        reply, iopub = execute(kc, 'Console.WriteLine("hello " + x);\nConsole.Error.WriteLine("careful");')
        streams = of_type(iopub, "stream")
        stdout = "".join(s["text"] for s in streams if s["name"] == "stdout")
        stderr = "".join(s["text"] for s in streams if s["name"] == "stderr")
        check(stdout == "hello 42\n" and stderr == "careful\n", f"streams {streams}")
        check(not of_type(iopub, "execute_result"), "a statement cell produced a result")

        # A compile error: error reply with ename / evalue / traceback, and an error message on IOPub.
        reply, iopub = execute(kc, 'int bad = "text";')
        check(reply["status"] == "error" and reply["ename"] == "CompilationError", f"compile error reply {reply}")
        check("CS0029" in reply["evalue"], f"compile error evalue {reply['evalue']}")
        errors = of_type(iopub, "error")
        check(len(errors) == 1 and any("CS0029" in line for line in errors[0]["traceback"]), f"error message {errors}")

        # A run-time exception names its type and message.
        reply, _ = execute(kc, 'throw new InvalidOperationException("boom");')
        check((reply["status"], reply["ename"], reply["evalue"]) == ("error", "InvalidOperationException", "boom"), f"runtime error {reply}")

        # display(...) and Update(...) become display_data and update_display_data with the same display id.
        reply, iopub = execute(kc, "var handle = display(1);\nhandle.Update(2);")
        check(reply["status"] == "ok", f"display cell {reply}")
        shown, updated = of_type(iopub, "display_data"), of_type(iopub, "update_display_data")
        check(len(shown) == 1 and len(updated) == 1, f"iopub {[m['msg_type'] for m in iopub]}")
        check(shown[0]["data"]["text/plain"] == "1" and updated[0]["data"]["text/plain"] == "2", f"display {shown} {updated}")
        check(shown[0]["transient"]["display_id"] == updated[0]["transient"]["display_id"], "display ids differ")

        # Completion: static members of a type, a variable by prefix, members of a variable's type.
        content = kc.complete("Tensor.", 7, reply=True, timeout=TIMEOUT)["content"]
        check(content["status"] == "ok" and "FromArray" in content["matches"] and "Randn" in content["matches"], f"Tensor. {content['matches'][:20]}")
        check((content["cursor_start"], content["cursor_end"]) == (7, 7), f"Tensor. range {content}")
        execute(kc, "var myLongVariable = new List<int> { 1, 2 };")
        content = kc.complete("myLo", 4, reply=True, timeout=TIMEOUT)["content"]
        check(content["matches"] == ["myLongVariable"], f"variable prefix {content}")
        check((content["cursor_start"], content["cursor_end"]) == (0, 4), f"variable range {content}")
        code = "var n = myLongVariable.Cou"
        content = kc.complete(code, len(code), reply=True, timeout=TIMEOUT)["content"]
        check(content["matches"] == ["Count"], f"member completion {content}")
        check(content["cursor_start"] == len(code) - 3, f"member range {content}")

        content = kc.inspect("x", 1, reply=True, timeout=TIMEOUT)["content"]
        check(content["found"] and "int" in content["data"]["text/plain"] and "42" in content["data"]["text/plain"], f"inspect {content}")
        content = kc.inspect("nothingHere", 3, reply=True, timeout=TIMEOUT)["content"]
        check(not content["found"], f"inspect unknown {content}")

        for code, status in [("var a = 1;", "complete"), ("if (x > 1) {", "incomplete"), ("var s = \"abc", "incomplete")]:
            content = is_complete(kc, code)
            check(content["status"] == status, f"is_complete({code!r}) = {content}")

        # Round trip of a trivial cell: request out, reply and idle status back.
        timings = []
        for _ in range(20):
            t0 = time.perf_counter()
            reply, _ = execute(kc, "x + 1")
            timings.append(time.perf_counter() - t0)
            check(reply["status"] == "ok", f"trivial cell {reply}")
        return {"first_kernel_info_reply_s": first_reply, "first_cell_s": first_cell,
                "trivial_cell_median_ms": 1000 * statistics.median(timings), "trivial_cell_max_ms": 1000 * max(timings)}
    finally:
        stop(km, kc)


def interrupt():
    km, kc, _ = start()
    try:
        execute(kc, "var x = 42;")
        msg_id = kc.execute("while (true) { }")
        wait_running(kc, msg_id)
        time.sleep(0.5)  # let it spin
        t0 = time.perf_counter()
        km.interrupt_kernel()
        reply = kc.get_shell_msg(timeout=30)
        elapsed = time.perf_counter() - t0
        check(reply["parent_header"]["msg_id"] == msg_id, "reply to another request")
        check(reply["content"]["status"] == "error" and reply["content"]["ename"] == "OperationCanceledException", f"interrupted {reply['content']}")
        iopub_until_idle(kc, msg_id)
        reply, iopub = execute(kc, "x + 1")
        check(reply["status"] == "ok", f"cell after interrupt {reply}")
        check(of_type(iopub, "execute_result")[0]["data"]["text/plain"] == "43", "state lost by the interrupt")
        check(km.is_alive(), "kernel died")

        # Ctrl-C in the terminal that runs Jupyter (or interrupt_mode "signal") delivers SIGINT: it must
        # interrupt the cell, not end the kernel process.
        msg_id = kc.execute("while (true) { }")
        wait_running(kc, msg_id)
        km.signal_kernel(signal.SIGINT)
        reply = kc.get_shell_msg(timeout=30)
        check(reply["parent_header"]["msg_id"] == msg_id and reply["content"]["status"] == "error", f"after SIGINT {reply['content']}")
        iopub_until_idle(kc, msg_id)
        check(km.is_alive(), "SIGINT ended the kernel")
        reply, _ = execute(kc, "x")
        check(reply["status"] == "ok", f"cell after SIGINT {reply}")
        return {"interrupt_reply_s": elapsed}
    finally:
        stop(km, kc)


def restart():
    km, kc, _ = start()
    try:
        reply, _ = execute(kc, "var before = 1;")
        check(reply["status"] == "ok", f"cell before restart {reply}")
        t0 = time.perf_counter()
        km.restart_kernel()
        kc.wait_for_ready(timeout=TIMEOUT)
        elapsed = time.perf_counter() - t0
        reply, iopub = execute(kc, "before")
        check(reply["status"] == "error" and "CS0103" in reply["evalue"], f"variable survived the restart: {reply}")
        check(reply["execution_count"] == 1, f"count after restart {reply}")
        reply, iopub = execute(kc, "2 * 21")
        check(of_type(iopub, "execute_result")[0]["data"]["text/plain"] == "42", "restarted kernel does not run cells")
        return {"restart_s": elapsed}
    finally:
        stop(km, kc)


SCENARIOS = {"session": session, "interrupt": interrupt, "restart": restart}

if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1] not in SCENARIOS:
        print(f"usage: csharp_kernel.py {{{','.join(SCENARIOS)}}}", file=sys.stderr)
        sys.exit(2)
    try:
        result = SCENARIOS[sys.argv[1]]()
    except CheckFailed as e:
        print(f"check failed: {e}", file=sys.stderr)
        sys.exit(1)
    print(json.dumps(result or {}))
