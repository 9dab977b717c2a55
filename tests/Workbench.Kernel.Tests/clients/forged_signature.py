"""Sends forged, unsigned and replayed messages to the Workbench kernel over raw ZeroMQ sockets and checks
that none is answered or executed, that each is logged on the kernel's stderr, and that a correctly signed
message on the same socket works.

usage: python3 forged_signature.py STDERR_LOG_PATH
"""

import sys
import time

import zmq
from jupyter_client.session import Session

from common import TIMEOUT, check, run, start


def main():
    log_path = sys.argv[1]
    with open(log_path, "w") as log:
        km, kc, _ = start(stderr=log)
    kc.stop_channels()
    info = km.get_connection_info()
    ip = info["ip"]
    right = Session(key=info["key"], signature_scheme="hmac-sha256")
    wrong = Session(key=b"not-the-kernel-key", signature_scheme="hmac-sha256")
    unsigned = Session(key=b"")  # no key: an empty signature frame

    ctx = zmq.Context()
    shell = ctx.socket(zmq.DEALER)
    shell.connect(f"tcp://{ip}:{info['shell_port']}")
    control = ctx.socket(zmq.DEALER)
    control.connect(f"tcp://{ip}:{info['control_port']}")
    iopub = ctx.socket(zmq.SUB)
    iopub.setsockopt(zmq.SUBSCRIBE, b"")
    iopub.connect(f"tcp://{ip}:{info['iopub_port']}")
    try:
        def receive(socket, timeout_s):
            if socket.poll(int(timeout_s * 1000)):
                idents, frames = right.feed_identities(socket.recv_multipart())
                return right.deserialize(frames)
            return None

        # A genuine request until IOPub is connected (its busy status shows up on our SUB socket).
        genuine_frames = None
        deadline = time.monotonic() + TIMEOUT
        while genuine_frames is None and time.monotonic() < deadline:
            msg = right.msg("kernel_info_request")
            frames = right.serialize(msg)
            shell.send_multipart(frames)
            reply = receive(shell, 10)
            check(reply is not None and reply["parent_header"]["msg_id"] == msg["header"]["msg_id"],
                  "a correctly signed kernel_info_request got no reply")
            while (m := receive(iopub, 0.2)) is not None:
                if m["parent_header"].get("msg_id") == msg["header"]["msg_id"]:
                    genuine_frames = frames
        check(genuine_frames is not None, "IOPub never connected")

        def execute_msg(session, code):
            return session.msg("execute_request", content={
                "code": code, "silent": False, "store_history": True, "user_expressions": {},
                "allow_stdin": False, "stop_on_error": True})

        bad_ids = []
        for session, code in [(wrong, "echo FORGED"), (unsigned, "echo UNSIGNED")]:
            msg = execute_msg(session, code)
            session.send(shell, msg)
            bad_ids.append(msg["header"]["msg_id"])
        msg = wrong.msg("shutdown_request", content={"restart": False})
        wrong.send(control, msg)
        bad_ids.append(msg["header"]["msg_id"])
        shell.send_multipart(genuine_frames)  # replay, byte for byte

        # Shell is served in order: once this reply is in, everything sent before it has been handled.
        good = execute_msg(right, "echo GOOD")
        right.send(shell, good)
        reply = receive(shell, TIMEOUT)
        check(reply is not None and reply["parent_header"]["msg_id"] == good["header"]["msg_id"],
              f"expected the reply to the genuine execute first, got {reply and reply['msg_type']}")
        check(reply["content"]["status"] == "ok", f"genuine execute failed: {reply['content']}")
        time.sleep(0.5)
        check(receive(shell, 0.5) is None, "the kernel answered a forged, unsigned or replayed message on shell")
        check(receive(control, 0.5) is None, "the kernel answered the forged shutdown_request")

        streams = []
        while (m := receive(iopub, 0.5)) is not None:
            check(m["parent_header"].get("msg_id") not in bad_ids, f"IOPub {m['msg_type']} for a rejected message")
            if m["msg_type"] == "stream":
                streams.append(m["content"]["text"])
        check(streams == ["GOOD\n"], f"outputs {streams}: a rejected cell ran")
        check(km.is_alive(), "the forged shutdown_request stopped the kernel")
    finally:
        for s in (shell, control, iopub):
            s.close(linger=0)
        ctx.term()
        km.shutdown_kernel(now=False)

    with open(log_path) as f:
        log = f.read()
    for expected in ["rejected a message on shell: invalid signature", "rejected a message on shell: unsigned message",
                     "rejected a message on control: invalid signature", "rejected a message on shell: replayed message"]:
        check(expected in log, f"kernel log lacks '{expected}':\n{log}")
    return {"rejections_logged": log.count("rejected a message")}


if __name__ == "__main__":
    run(main)
