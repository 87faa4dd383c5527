#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""qmp-agent SOCKET SERIAL LOG: the host's half of the guest's hot-plug tests.

The guest cannot reach the monitor of the QEMU it runs in, so it asks on its
result serial line (SERIAL, a file QEMU appends to), one line each:

    # qmp-request {"execute": "device_del", "arguments": {"id": "hpedu"}}

This agent follows SERIAL, sends each request to QEMU's QMP socket SOCKET and
logs requests, replies and QMP events to LOG.  Only device_del and device_add
of the hot-plug test's own device (id "hpedu") are passed on.  The guest
learns the outcome from its own sysfs.  The agent ends when QEMU does.
"""
import json
import os
import select
import socket
import sys
import time

PREFIX = "# qmp-request "
ALLOWED = {"device_del", "device_add"}
DEVICE_ID = "hpedu"


def connect(path, log):
    deadline = time.monotonic() + 120
    while True:
        try:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(path)
            return s
        except OSError:
            s.close()
            if time.monotonic() > deadline:
                log.write("no QMP socket at %s\n" % path)
                sys.exit(1)
            time.sleep(0.2)


class Qmp:
    def __init__(self, sock, log):
        self.sock = sock
        self.log = log
        self.buf = b""

    def read_message(self):
        """One JSON message, or None when QEMU has gone."""
        while b"\n" not in self.buf:
            chunk = self.sock.recv(4096)
            if not chunk:
                return None
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        msg = json.loads(line)
        self.log.write("<- %s\n" % json.dumps(msg))
        return msg

    def command(self, cmd):
        self.log.write("-> %s\n" % json.dumps(cmd))
        self.sock.sendall(json.dumps(cmd).encode() + b"\n")
        while True:
            msg = self.read_message()
            if msg is None or "return" in msg or "error" in msg:
                return msg


def allowed(cmd):
    args = cmd.get("arguments", {})
    return cmd.get("execute") in ALLOWED and args.get("id") == DEVICE_ID


def main():
    sock_path, serial, log_path = sys.argv[1:4]
    with open(log_path, "w", buffering=1) as log:
        qmp = Qmp(connect(sock_path, log), log)
        if qmp.read_message() is None:
            return
        qmp.command({"execute": "qmp_capabilities"})
        pos = 0
        pending = b""
        while True:
            # Events (DEVICE_DELETED) are logged; EOF means QEMU ended.
            ready, _, _ = select.select([qmp.sock], [], [], 0.2)
            if ready and qmp.read_message() is None:
                return
            try:
                with open(serial, "rb") as f:
                    f.seek(pos)
                    data = f.read()
            except FileNotFoundError:
                continue
            pos += len(data)
            pending += data
            *lines, pending = pending.split(b"\n")
            for raw in lines:
                line = raw.decode(errors="replace").rstrip("\r")
                if not line.startswith(PREFIX):
                    continue
                try:
                    cmd = json.loads(line[len(PREFIX):])
                except ValueError:
                    log.write("bad request: %s\n" % line)
                    continue
                if not allowed(cmd):
                    log.write("refused: %s\n" % line)
                    continue
                if qmp.command(cmd) is None:
                    return


if __name__ == "__main__":
    main()
