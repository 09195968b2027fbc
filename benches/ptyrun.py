#!/usr/bin/env python3
"""Runs a command in a pseudo-terminal and measures it from the outside.

    benches/ptyrun.py [--cols 120] [--rows 40] [--marker TEXT] [--settle S]
                      [--window S] [--timeout S] -- COMMAND ARGS...

Prints one JSON object on stdout:
  first_ms  milliseconds from fork to the first output containing MARKER
            (the first drawn frame of a dashboard), null if never seen
  cpu_pct   CPU (user + system, % of one core) over WINDOW seconds that start
            SETTLE seconds after the marker was seen (omitted with --window 0)
  rss_kib   resident memory at the end of the window (VmRSS), hwm_kib its peak
The terminal output is read (and discarded) all along, as a terminal would,
so the program never blocks on a full pty. The command gets SIGTERM at the
end (then SIGKILL if it lingers).
"""

import argparse
import fcntl
import json
import os
import pty
import select
import signal
import struct
import sys
import termios
import time

TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    """CPU time of all the process's threads, in seconds: nanoseconds from
    /proc/PID/task/*/schedstat where available (finer than the 10 ms ticks
    of /proc/PID/stat, which an idle process never reaches), else ticks."""
    try:
        total = 0
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                total += int(f.read().split()[0])
        return total / 1e9
    except (OSError, ValueError, IndexError):
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        # after the comm field: state is [0], utime [11], stime [12]
        return (int(fields[11]) + int(fields[12])) / TICK


def status_kib(pid, key):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return None


def drain(fd, until, seen, marker):
    """Reads output until `until`; returns (buffer tail, time marker seen)."""
    while True:
        left = until - time.monotonic()
        if left <= 0:
            return seen
        r, _, _ = select.select([fd], [], [], min(left, 0.5))
        if not r:
            continue
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            return seen
        if not chunk:
            return seen
        if seen[1] is None and marker:
            seen[0] = (seen[0] + chunk)[-4096:]
            if marker in seen[0]:
                seen[1] = time.monotonic()
                return seen


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cols", type=int, default=120)
    ap.add_argument("--rows", type=int, default=40)
    ap.add_argument("--marker", default="")
    ap.add_argument("--settle", type=float, default=0.0)
    ap.add_argument("--window", type=float, default=0.0)
    ap.add_argument("--timeout", type=float, default=10.0)
    ap.add_argument("command", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    cmd = a.command[1:] if a.command and a.command[0] == "--" else a.command
    started = time.monotonic()
    pid, fd = pty.fork()
    if pid == 0:
        fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", a.rows, a.cols, 0, 0))
        os.execvp(cmd[0], cmd)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", a.rows, a.cols, 0, 0))
    marker = a.marker.encode()
    seen = [b"", None]
    result = {}
    try:
        seen = drain(fd, started + a.timeout, seen, marker)
        result["first_ms"] = None if seen[1] is None else round((seen[1] - started) * 1000, 2)
        if seen[1] is None and marker:
            # what the program printed instead (an error?), for the log
            result["output_tail"] = seen[0][-300:].decode("utf-8", "replace")
            done, status = os.waitpid(pid, os.WNOHANG)
            result["exited"] = status if done else None
        if a.window > 0:
            drain(fd, time.monotonic() + a.settle, seen, b"")
            t0, c0 = time.monotonic(), cpu_seconds(pid)
            drain(fd, t0 + a.window, seen, b"")
            t1, c1 = time.monotonic(), cpu_seconds(pid)
            result["cpu_pct"] = round((c1 - c0) / (t1 - t0) * 100, 3)
            result["rss_kib"] = status_kib(pid, "VmRSS")
            result["hwm_kib"] = status_kib(pid, "VmHWM")
    finally:
        try:
            os.kill(pid, signal.SIGTERM)
            end = time.monotonic() + 5
            while time.monotonic() < end:
                # keep reading so a program restoring the terminal can finish
                drain(fd, time.monotonic() + 0.05, [b"", 1], b"")
                done, _ = os.waitpid(pid, os.WNOHANG)
                if done:
                    break
            else:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass
    print(json.dumps(result))


if __name__ == "__main__":
    sys.exit(main())
