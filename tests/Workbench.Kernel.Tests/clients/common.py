"""Helpers shared by the Jupyter-client scenarios that the C# tests run against the Workbench kernel.

The kernelspec is found through JUPYTER_PATH (set by the calling test to a temporary prefix). Each script
prints one JSON object on its last stdout line with what it measured, and exits non-zero with a message
when a check fails.
"""

import json
import sys
import time

import jupyter_client

KERNEL_NAME = "workbench-csharp"
TIMEOUT = 30


class CheckFailed(Exception):
    pass


def check(condition, message):
    if not condition:
        raise CheckFailed(message)


def start(**launch_kwargs):
    """Start the kernel through KernelManager and return (km, kc, seconds to the first kernel_info_reply)."""
    t0 = time.perf_counter()
    km = jupyter_client.KernelManager(kernel_name=KERNEL_NAME)
    km.start_kernel(**launch_kwargs)
    kc = km.client()
    kc.start_channels()
    reply = kc.kernel_info(reply=True, timeout=TIMEOUT)
    first_reply = time.perf_counter() - t0
    check(reply["content"]["status"] == "ok", f"kernel_info_reply not ok: {reply['content']}")
    # wait_for_ready also flushes IOPub, so later scenarios see only their own messages.
    kc.wait_for_ready(timeout=TIMEOUT)
    return km, kc, first_reply


def stop(km, kc):
    kc.stop_channels()
    if km.is_alive():
        km.shutdown_kernel(now=False)


def iopub_until_idle(kc, msg_id, timeout=TIMEOUT):
    """IOPub messages parented to msg_id, through its idle status."""
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
    """Execute and return (reply, iopub messages of that request)."""
    msg_id = kc.execute(code, **kwargs)
    reply = kc.get_shell_msg(timeout=TIMEOUT)
    check(reply["parent_header"]["msg_id"] == msg_id, "execute_reply answers another request")
    return reply, iopub_until_idle(kc, msg_id)


def run(scenario):
    """Run scenario() and print its result dict as JSON; failures exit 1 with the reason on stderr."""
    try:
        result = scenario()
    except CheckFailed as e:
        print(f"check failed: {e}", file=sys.stderr)
        sys.exit(1)
    print(json.dumps(result or {}))
