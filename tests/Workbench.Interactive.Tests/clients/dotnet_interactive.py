"""Drives .NET Interactive's C# kernel (kernelspec '.net-csharp') through jupyter_client.

usage: python3 dotnet_interactive.py SCENARIO   (listen, interrupt)

listen     starts the kernel and lists the TCP ports its process listens on (the Jupyter channels and the HTTP
           services), for the check that the kernelspec keeps HTTP on loopback.
interrupt  runs an endless loop and interrupts it the way Jupyter front ends do (interrupt_mode "signal": SIGINT),
           then reports whether the kernel process is still there, for the behaviour docs/notebooks.md states.

The kernelspec is found through JUPYTER_PATH (set by the calling test to a temporary prefix). The helpers come from
common.py (tests/Shared/clients, copied next to this script in the output folder). The script prints one JSON object
on its last stdout line with what it measured, and exits 1 with the reason on stderr when a check fails.
"""

import os
import socket
import time

import common
from common import check, execute, main, start, stop

common.KERNEL_NAME = ".net-csharp"
# The first start of the tool on a machine compiles and caches; two cores under a test run are slow.
common.TIMEOUT = 120


def listening_sockets(pid):
    """(address, port) of every TCP socket process pid listens on, read from /proc (no extra packages)."""
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            link = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if link.startswith("socket:["):
            inodes.add(link[len("socket:["):-1])
    found = []
    for table, family in (("tcp", socket.AF_INET), ("tcp6", socket.AF_INET6)):
        with open(f"/proc/{pid}/net/{table}") as f:
            next(f)
            for line in f:
                fields = line.split()
                local, state, inode = fields[1], fields[3], fields[9]
                if state != "0A" or inode not in inodes:  # 0A: LISTEN
                    continue
                address_hex, port_hex = local.split(":")
                raw = bytes.fromhex(address_hex)
                # /proc prints each 32-bit word of the address in host (little-endian) order.
                words = b"".join(raw[i:i + 4][::-1] for i in range(0, len(raw), 4))
                found.append([socket.inet_ntop(family, words), int(port_hex, 16)])
    return sorted(found)


def listen():
    km, kc, first_reply = start()
    try:
        reply, _ = execute(kc, "1 + 1")
        check(reply["content"]["status"] == "ok", f"1 + 1: {reply['content']}")
        sockets = listening_sockets(km.provisioner.process.pid)
        return {"first_kernel_info_reply_s": first_reply, "listening": sockets}
    finally:
        stop(km, kc)


def interrupt():
    km, kc, first_reply = start()
    try:
        reply, _ = execute(kc, "var kept = 41;")
        check(reply["content"]["status"] == "ok", f"var kept = 41: {reply['content']}")
        kc.execute("while (true) { }")
        time.sleep(3)
        t0 = time.perf_counter()
        km.interrupt_kernel()
        process = km.provisioner.process
        deadline = time.monotonic() + 30
        while process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        return {
            "interrupt_mode": km.kernel_spec.interrupt_mode,
            "kernel_exited": process.poll() is not None,
            "exit_code": process.poll(),
            "seconds_to_exit": time.perf_counter() - t0,
        }
    finally:
        stop(km, kc)


if __name__ == "__main__":
    main({"listen": listen, "interrupt": interrupt}, "dotnet_interactive.py")
