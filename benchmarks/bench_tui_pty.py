"""The terminal app as a user runs it: ``rafix tui`` in a pseudo-terminal, keys typed into it.

    python benchmarks/bench_tui_pty.py [--dir DIR] [--runs 20] [--size 160x48]

Starts ``rafix tui --read-only --from-file DIR`` (the 10,000-role benchmark account by
default; generate it with ``generate_account.py``) on a pseudo-terminal of the given size,
waits until it shows the findings, then writes keys to the terminal as a user's keyboard
would and reads what the app writes back:

- cursor: ``j``; the time until the app has written the frame that holds the next finding's
  detail (its "What was seen" heading), a frame being complete when the terminal stays quiet
  for 3 ms (subtracted);
- filter: ``/`` then a query typed one key at a time; the time until the frame that holds the
  findings count under the table;
- CPU: the app process's CPU time (every thread, from ``/proc``) over the 120 ms after a ``j``
  (before the detail pane's "who can assume it" question starts, 150 ms after the cursor
  rests), averaged over the keys: the work a key costs, which the load of other processes
  does not inflate as it does the wall time.

This includes what ``bench_tui.py`` leaves out (the driver's input and writer threads and the
terminal's file descriptors) and leaves out only the terminal emulator's own painting. After
each key the app is left alone for a second (as a user reads), so each key is measured on its
own. Linux only (``pty``, ``/proc``).
"""

from __future__ import annotations

import argparse
import fcntl
import os
import pty
import re
import select
import statistics
import struct
import sys
import termios
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
ESCAPES = re.compile(rb"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-_]")
QUERY = b"sev:high+ id:RA-TRUST"
QUIET = 0.003


class Terminal:
    """A child process on a pseudo-terminal of ``columns`` x ``lines``."""

    def __init__(self, argv: list[str], columns: int, lines: int) -> None:
        pid, fd = pty.fork()
        if pid == 0:  # the child: the app, on the terminal
            os.environ["TERM"] = "xterm-256color"
            os.environ["COLORTERM"] = "truecolor"
            os.chdir(ROOT)
            os.execv(argv[0], argv)
        self.pid, self.fd = pid, fd
        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", lines, columns, 0, 0))

    def read_for(self, seconds: float) -> bytes:
        out, end = b"", time.monotonic() + seconds
        while (left := end - time.monotonic()) > 0:
            ready, _, _ = select.select([self.fd], [], [], left)
            if ready:
                try:
                    out += os.read(self.fd, 65536)
                except OSError:
                    break
        return out

    def until_frame(self, key: bytes, marker: bytes, timeout: float = 5.0) -> float:
        """Seconds from writing ``key`` to the end of the first frame holding ``marker``."""
        os.write(self.fd, key)
        start, data = time.perf_counter(), b""
        while time.perf_counter() - start < timeout:
            ready, _, _ = select.select([self.fd], [], [], timeout)
            if not ready:
                break
            data += os.read(self.fd, 65536)
            quiet = not select.select([self.fd], [], [], QUIET)[0]
            if quiet and marker in ESCAPES.sub(b"", data):
                return time.perf_counter() - start - QUIET
        raise TimeoutError(f"no frame with {marker!r} after {key!r}")

    def cpu(self) -> float:
        """CPU seconds of the child so far (every thread)."""
        with open(f"/proc/{self.pid}/stat", encoding="ascii") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def close(self) -> int:
        os.write(self.fd, b"\x1b")
        self.read_for(0.3)
        os.write(self.fd, b"q")
        self.read_for(1.0)
        _, status = os.waitpid(self.pid, 0)
        return os.waitstatus_to_exitcode(status)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--dir", type=Path, default=HERE / "out" / "account")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--size", default="160x48", help="terminal size, COLUMNSxLINES")
    args = parser.parse_args()
    columns, lines = (int(v) for v in args.size.lower().split("x"))
    if not (args.dir / "iam.json").exists():
        print(f"no account in {args.dir}: run benchmarks/generate_account.py {args.dir}")
        return 2
    rafix = str(Path(sys.executable).with_name("rafix"))
    argv = [rafix, "tui", "--read-only", "--from-file", str(args.dir.resolve())]
    term = Terminal(argv, columns, lines)
    shown, start = b"", time.monotonic()
    while b"What was seen" not in ESCAPES.sub(b"", shown):
        if time.monotonic() - start > 300:
            print("the app did not show the findings within 300 s")
            return 1
        shown += term.read_for(0.5)
    print(f"findings shown {time.monotonic() - start:.1f} s after the start (scan included)")
    term.read_for(3.0)  # the first "who can assume it" question builds the core's analyses

    cpu = []
    for _ in range(args.runs):
        before = term.cpu()
        os.write(term.fd, b"j")
        term.read_for(0.12)
        cpu.append(term.cpu() - before)
        term.read_for(1.0)
    cursor = []
    for _ in range(args.runs):
        cursor.append(term.until_frame(b"j", b"What was seen"))
        term.read_for(1.0)
    os.write(term.fd, b"/")
    term.read_for(0.5)
    typed = []
    for n in range(args.runs):
        if n and n % len(QUERY) == 0:  # start the query again: clear the field
            os.write(term.fd, b"\x7f" * len(QUERY))
            term.read_for(1.0)
        typed.append(term.until_frame(QUERY[n % len(QUERY) : n % len(QUERY) + 1], b"findings"))
        term.read_for(0.6)
    code = term.close()

    def ms(values: list[float]) -> str:
        return f"median {statistics.median(values) * 1000:.1f} ms, worst {max(values) * 1000:.1f}"

    print(f"terminal {columns}x{lines}, {args.runs} keys each; rafix exited {code}")
    print(f"cursor to detail frame: {ms(cursor)} (target 16 ms)")
    print(f"filter keystroke frame: {ms(typed)} (target 50 ms)")
    print(f"CPU per j (all threads): {statistics.mean(cpu) * 1000:.1f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
