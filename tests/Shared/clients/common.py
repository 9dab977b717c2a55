"""Helpers shared by the Jupyter-client scenarios that the C# tests run against the Workbench kernel.

This one file is linked into both tests/Workbench.Kernel.Tests (the kernel host with its echo test backend)
and tests/Workbench.Notebooks.Tests (`workbench kernel start`, the notebook engine); each copies it next to
its own scenario scripts, in the output folder's clients/, so `from common import ...` finds it.

The kernelspec is found through JUPYTER_PATH (set by the calling test to a temporary prefix). Each script
prints one JSON object on its last stdout line with what it measured, and exits non-zero with a message
when a check fails.
"""

import json
import sys
import time

import jupyter_client

KERNEL_NAME = "workbench-csharp"

# Seconds to wait for any one reply or output. A scenario script may raise it before it starts a kernel
# (common.TIMEOUT = ...); the helpers below read it when called, not when defined.
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


def iopub_until_idle(kc, msg_id, timeout=None):
    """IOPub messages parented to msg_id, through its idle status."""
    messages = []
    deadline = time.monotonic() + (timeout or TIMEOUT)
    while time.monotonic() < deadline:
        msg = kc.get_iopub_msg(timeout=max(0.01, deadline - time.monotonic()))
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        messages.append(msg)
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            return messages
    raise CheckFailed(f"no idle status for {msg_id}; got {[m['msg_type'] for m in messages]}")


def shell_reply(kc, msg_id, reply_type):
    """The shell reply to msg_id. Replies to kernel_info_requests this client sent earlier are passed over:
    KernelClient.wait_for_ready sends one more kernel_info_request each second the kernel has not answered
    (a kernel still starting, after a restart above all) and reads back only one reply, so the others arrive
    later, ahead of the next reply a scenario waits for. Any other reply to another request fails the check."""
    deadline = time.monotonic() + TIMEOUT
    while True:
        reply = kc.get_shell_msg(timeout=max(0.01, deadline - time.monotonic()))
        if reply["parent_header"].get("msg_id") == msg_id:
            check(reply["msg_type"] == reply_type, f"{reply['msg_type']} answers the request, not {reply_type}")
            return reply
        check(reply["msg_type"] == "kernel_info_reply",
              f"{reply_type} expected, got a {reply['msg_type']} that answers another request "
              f"({reply['parent_header'].get('msg_type')} {reply['parent_header'].get('msg_id')})")


def execute(kc, code, **kwargs):
    """Execute and return (reply, iopub messages of that request)."""
    msg_id = kc.execute(code, **kwargs)
    reply = shell_reply(kc, msg_id, "execute_reply")
    return reply, iopub_until_idle(kc, msg_id)


def of_type(iopub, msg_type):
    """The contents of the IOPub messages of one type."""
    return [m["content"] for m in iopub if m["msg_type"] == msg_type]


def wait_running(kc, msg_id):
    """Wait for the execute_input of msg_id: from then on the cell is running and can be interrupted."""
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        msg = kc.get_iopub_msg(timeout=max(0.01, deadline - time.monotonic()))
        if msg["parent_header"].get("msg_id") == msg_id and msg["msg_type"] == "execute_input":
            return
    raise CheckFailed(f"no execute_input for {msg_id}")


def is_complete(kc, code):
    """The is_complete_reply content (jupyter_client's blocking client has no reply=True form for it)."""
    msg_id = kc.is_complete(code)
    return shell_reply(kc, msg_id, "is_complete_reply")["content"]


def run(scenario):
    """Run scenario() and print its result dict as JSON; failures exit 1 with the reason on stderr."""
    try:
        result = scenario()
    except CheckFailed as e:
        print(f"check failed: {e}", file=sys.stderr)
        sys.exit(1)
    print(json.dumps(result or {}))


def main(scenarios, script):
    """Command line of a scenario script: `python3 SCRIPT SCENARIO`, SCENARIO one of the keys of scenarios."""
    if len(sys.argv) != 2 or sys.argv[1] not in scenarios:
        print(f"usage: {script} {{{','.join(scenarios)}}}", file=sys.stderr)
        sys.exit(2)
    run(scenarios[sys.argv[1]])
