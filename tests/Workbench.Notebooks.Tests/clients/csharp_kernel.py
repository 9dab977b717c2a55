"""Drives the Workbench C# kernel (`workbench kernel start`, the notebook engine) through jupyter_client.

usage: python3 csharp_kernel.py SCENARIO   (session, interrupt, interrupt_memory, restart)

The kernelspec is found through JUPYTER_PATH (set by the calling test to a temporary prefix). The helpers
come from common.py (tests/Shared/clients, copied next to this script in the output folder). The script
prints one JSON object on its last stdout line with what it measured, and exits 1 with the reason on
stderr when a check fails.
"""

import signal
import statistics
import time

import common
from common import check, execute, iopub_until_idle, is_complete, main, of_type, shell_reply, start, stop, wait_running

# The first cell compiles with a cold compiler; on a loaded two-core machine that can take a while.
TIMEOUT = 120
common.TIMEOUT = TIMEOUT


def run_cell(kc, code, **kwargs):
    """Execute and return (reply content, iopub messages of that request)."""
    reply, iopub = execute(kc, code, **kwargs)
    return reply["content"], iopub


def session():
    km, kc, first_reply = start()
    try:
        info = kc.kernel_info(reply=True, timeout=TIMEOUT)["content"]
        language = info["language_info"]
        check(language["name"] == "csharp" and language["file_extension"] == ".cs", f"language_info {language}")
        check(language["version"], "language_info has no version")

        t0 = time.perf_counter()
        reply, iopub = run_cell(kc, "var x = 40 + 2; x")
        first_cell = time.perf_counter() - t0
        check(reply["status"] == "ok", f"first cell {reply}")
        results = of_type(iopub, "execute_result")
        check(len(results) == 1 and results[0]["data"]["text/plain"] == "42", f"execute_result {results}")
        check(results[0]["execution_count"] == reply["execution_count"] == 1, f"counts {results} {reply}")

        # State carries over between cells.
        reply, iopub = run_cell(kc, "var y = x * 2;\ny + 1")
        check(of_type(iopub, "execute_result")[0]["data"]["text/plain"] == "85", f"state {of_type(iopub, 'execute_result')}")
        check(reply["execution_count"] == 2, f"second count {reply}")

        # Console output becomes stream messages.
        reply, iopub = run_cell(kc, 'Console.WriteLine("hello " + x);\nConsole.Error.WriteLine("careful");')
        streams = of_type(iopub, "stream")
        stdout = "".join(s["text"] for s in streams if s["name"] == "stdout")
        stderr = "".join(s["text"] for s in streams if s["name"] == "stderr")
        check(stdout == "hello 42\n" and stderr == "careful\n", f"streams {streams}")
        check(not of_type(iopub, "execute_result"), "a statement cell produced a result")

        # A compile error: error reply with ename / evalue / traceback, and an error message on IOPub.
        reply, iopub = run_cell(kc, 'int bad = "text";')
        check(reply["status"] == "error" and reply["ename"] == "CompilationError", f"compile error reply {reply}")
        check("CS0029" in reply["evalue"], f"compile error evalue {reply['evalue']}")
        errors = of_type(iopub, "error")
        check(len(errors) == 1 and any("CS0029" in line for line in errors[0]["traceback"]), f"error message {errors}")

        # A run-time exception names its type and message.
        reply, _ = run_cell(kc, 'throw new InvalidOperationException("boom");')
        check((reply["status"], reply["ename"], reply["evalue"]) == ("error", "InvalidOperationException", "boom"), f"runtime error {reply}")

        # display(...) and Update(...) become display_data and update_display_data with the same display id.
        reply, iopub = run_cell(kc, "var handle = display(1);\nhandle.Update(2);")
        check(reply["status"] == "ok", f"display cell {reply}")
        shown, updated = of_type(iopub, "display_data"), of_type(iopub, "update_display_data")
        check(len(shown) == 1 and len(updated) == 1, f"iopub {[m['msg_type'] for m in iopub]}")
        check(shown[0]["data"]["text/plain"] == "1" and updated[0]["data"]["text/plain"] == "2", f"display {shown} {updated}")
        check(shown[0]["transient"]["display_id"] == updated[0]["transient"]["display_id"], "display ids differ")

        # Completion: static members of a type, a variable by prefix, members of a variable's type.
        content = kc.complete("torch.", 6, reply=True, timeout=TIMEOUT)["content"]
        check(content["status"] == "ok" and "tensor" in content["matches"] and "randn" in content["matches"], f"torch. {content['matches'][:20]}")
        check((content["cursor_start"], content["cursor_end"]) == (6, 6), f"torch. range {content}")
        run_cell(kc, "var myLongVariable = new List<int> { 1, 2 };")
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
            reply, _ = run_cell(kc, "x + 1")
            timings.append(time.perf_counter() - t0)
            check(reply["status"] == "ok", f"trivial cell {reply}")
        return {"first_kernel_info_reply_s": first_reply, "first_cell_s": first_cell,
                "trivial_cell_median_ms": 1000 * statistics.median(timings), "trivial_cell_max_ms": 1000 * max(timings)}
    finally:
        stop(km, kc)


def interrupt():
    # A kernel started from a background job (or under nohup) inherits SIGINT ignored; it must still take
    # interrupt_mode "signal". The kernel started below inherits this process's ignored SIGINT.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    km, kc, _ = start()
    try:
        run_cell(kc, "var x = 42;")
        msg_id = kc.execute("while (true) { }")
        wait_running(kc, msg_id)
        time.sleep(0.5)  # let it spin
        t0 = time.perf_counter()
        km.interrupt_kernel()
        reply = shell_reply(kc, msg_id, "execute_reply")
        elapsed = time.perf_counter() - t0
        check(reply["content"]["status"] == "error" and reply["content"]["ename"] == "OperationCanceledException", f"interrupted {reply['content']}")
        iopub_until_idle(kc, msg_id)
        reply, iopub = run_cell(kc, "x + 1")
        check(reply["status"] == "ok", f"cell after interrupt {reply}")
        check(of_type(iopub, "execute_result")[0]["data"]["text/plain"] == "43", "state lost by the interrupt")
        check(km.is_alive(), "kernel died")

        # Ctrl-C in the terminal that runs Jupyter (or interrupt_mode "signal") delivers SIGINT: it must
        # interrupt the cell, not end the kernel process.
        msg_id = kc.execute("while (true) { }")
        wait_running(kc, msg_id)
        km.signal_kernel(signal.SIGINT)
        reply = shell_reply(kc, msg_id, "execute_reply")
        check(reply["content"]["status"] == "error", f"after SIGINT {reply['content']}")
        iopub_until_idle(kc, msg_id)
        check(km.is_alive(), "SIGINT ended the kernel")
        reply, _ = run_cell(kc, "x")
        check(reply["status"] == "ok", f"cell after SIGINT {reply}")
        return {"interrupt_reply_s": elapsed}
    finally:
        stop(km, kc)


def rss_mib(km):
    """Resident memory of the kernel process, from /proc (MiB)."""
    with open(f"/proc/{km.provisioner.process.pid}/status", encoding="utf-8") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise common.CheckFailed("no VmRSS line for the kernel process")


def interrupt_memory():
    # A cell that holds 1 GiB of tensors in a local and is interrupted: the tensors are unreachable once it stops, and
    # the kernel must hand their native memory back then, not at some later garbage collection.
    km, kc, _ = start()
    try:
        reply, _ = run_cell(kc, "var warm = torch.ones(1024, 1024).sum().item<float>();")
        check(reply["status"] == "ok", f"warm-up cell {reply}")
        before = rss_mib(km)
        msg_id = kc.execute("void Hold()\n{\n    var held = new List<Tensor>();\n"
                            "    for (int i = 0; i < 8; i++) held.Add(torch.ones(32, 1024, 1024));\n    while (true) { }\n}\nHold();")
        wait_running(kc, msg_id)
        deadline = time.monotonic() + TIMEOUT
        while rss_mib(km) < before + 900 and time.monotonic() < deadline:
            time.sleep(0.05)
        held = rss_mib(km)
        check(held >= before + 900, f"the cell did not allocate its 1 GiB: {before:.0f} -> {held:.0f} MiB")
        km.interrupt_kernel()
        reply = shell_reply(kc, msg_id, "execute_reply")
        check(reply["content"]["status"] == "error", f"interrupted {reply['content']}")
        iopub_until_idle(kc, msg_id)
        after = rss_mib(km)
        check(after < before + 200, f"native memory not released by the interrupt: {before:.0f} MiB before, {held:.0f} held, {after:.0f} after")
        reply, _ = run_cell(kc, "warm")
        check(reply["status"] == "ok", f"cell after the interrupt {reply}")
        return {"rss_before_mib": before, "rss_held_mib": held, "rss_after_mib": after}
    finally:
        stop(km, kc)


def restart():
    km, kc, _ = start()
    try:
        reply, _ = run_cell(kc, "var before = 1;")
        check(reply["status"] == "ok", f"cell before restart {reply}")
        t0 = time.perf_counter()
        km.restart_kernel()
        kc.wait_for_ready(timeout=TIMEOUT)
        elapsed = time.perf_counter() - t0
        reply, iopub = run_cell(kc, "before")
        check(reply["status"] == "error" and "CS0103" in reply["evalue"], f"variable survived the restart: {reply}")
        check(reply["execution_count"] == 1, f"count after restart {reply}")
        reply, iopub = run_cell(kc, "2 * 21")
        check(of_type(iopub, "execute_result")[0]["data"]["text/plain"] == "42", "restarted kernel does not run cells")
        return {"restart_s": elapsed}
    finally:
        stop(km, kc)


SCENARIOS = {"session": session, "interrupt": interrupt, "interrupt_memory": interrupt_memory, "restart": restart}

if __name__ == "__main__":
    main(SCENARIOS, "csharp_kernel.py")
