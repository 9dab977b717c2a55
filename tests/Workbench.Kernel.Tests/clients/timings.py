"""Times the Workbench kernel (a test host with the echo backend) through jupyter_client: kernel start to the
first kernel_info_reply, the round trip of a trivial cell, and interrupt latency (interrupt_request to the
execute_reply of the interrupted cell).

usage: /usr/bin/python3 timings.py [--starts N] [--cells N] [--interrupts N] HOST_DLL

HOST_DLL is a built Workbench.Kernel.TestHost.dll, e.g. after
`dotnet build -c Release tests/Workbench.Kernel.TestHost`:
    /usr/bin/python3 tests/Workbench.Kernel.Tests/clients/timings.py \
        tests/Workbench.Kernel.TestHost/bin/Release/net10.0/Workbench.Kernel.TestHost.dll

The script installs a kernelspec for that host into a temporary Jupyter prefix (the user's Jupyter is not
touched), prints one line per measurement on stderr and a JSON object with the medians on the last stdout line.
"""

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time

# common.py sits next to this script in the test output folder, and in tests/Shared/clients in the source tree.
here = os.path.dirname(os.path.abspath(__file__))
if not os.path.exists(os.path.join(here, "common.py")):
    sys.path.insert(0, os.path.join(here, "..", "..", "Shared", "clients"))


def install_kernelspec(root, host_dll):
    """The kernel.json `workbench kernel install` writes, launching the test host on the dotnet on PATH."""
    folder = os.path.join(root, "share", "jupyter", "kernels", "workbench-csharp")
    os.makedirs(folder)
    spec = {
        "argv": [shutil.which("dotnet") or "dotnet", host_dll, "{connection_file}"],
        "display_name": "C# (Workbench)",
        "language": "csharp",
        "interrupt_mode": "message",
        "metadata": {"debugger": False},
    }
    with open(os.path.join(folder, "kernel.json"), "w") as f:
        json.dump(spec, f, indent=2)
    for sub in ("runtime", "data", "config"):
        os.makedirs(os.path.join(root, sub))
    # Read by jupyter_client when it looks kernels up, so setting them before the first start is enough.
    os.environ.update({
        "JUPYTER_PATH": os.path.join(root, "share", "jupyter"),
        "JUPYTER_RUNTIME_DIR": os.path.join(root, "runtime"),
        "JUPYTER_DATA_DIR": os.path.join(root, "data"),
        "JUPYTER_CONFIG_DIR": os.path.join(root, "config"),
    })


def measure(starts, cells, interrupts):
    from common import check, execute, iopub_until_idle, shell_reply, start, stop, wait_running

    def report(name, values, unit, scale):
        shown = ", ".join(f"{scale * v:.1f}" for v in values)
        print(f"{name}: median {scale * statistics.median(values):.1f} {unit} over {len(values)} ({shown})", file=sys.stderr)
        return scale * statistics.median(values)

    first_replies = []
    for _ in range(starts):
        km, kc, first_reply = start()
        first_replies.append(first_reply)
        stop(km, kc)

    km, kc, _ = start()
    try:
        round_trips = []
        for _ in range(cells):
            t0 = time.perf_counter()
            reply, _ = execute(kc, "echo x")
            round_trips.append(time.perf_counter() - t0)
            check(reply["content"]["status"] == "ok", f"trivial cell {reply['content']}")

        interrupt_replies = []
        for _ in range(interrupts):
            msg_id = kc.execute("sleep 30")
            wait_running(kc, msg_id)
            t0 = time.perf_counter()
            km.interrupt_kernel()  # interrupt_mode "message": an interrupt_request on the control channel
            reply = shell_reply(kc, msg_id, "execute_reply")
            interrupt_replies.append(time.perf_counter() - t0)
            check(reply["content"]["status"] == "error", f"interrupted reply {reply['content']}")
            iopub_until_idle(kc, msg_id)
    finally:
        stop(km, kc)

    return {
        "first_kernel_info_reply_ms": report("start to first kernel_info_reply", first_replies, "ms", 1000),
        "trivial_cell_median_ms": report("trivial cell round trip", round_trips, "ms", 1000),
        "interrupt_reply_ms": report("interrupt_request to execute_reply", interrupt_replies, "ms", 1000),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("host_dll", help="Workbench.Kernel.TestHost.dll to launch")
    parser.add_argument("--starts", type=int, default=5, help="kernel starts to time (default 5)")
    parser.add_argument("--cells", type=int, default=20, help="trivial cells to time (default 20)")
    parser.add_argument("--interrupts", type=int, default=5, help="interrupted cells to time (default 5)")
    args = parser.parse_args()
    host = os.path.abspath(args.host_dll)
    if not os.path.isfile(host):
        parser.error(f"{host} does not exist; build it with `dotnet build -c Release tests/Workbench.Kernel.TestHost`")

    root = tempfile.mkdtemp(prefix="wb-timings-")
    try:
        install_kernelspec(root, host)
        from common import run
        run(lambda: measure(args.starts, args.cells, args.interrupts))
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
