"""A bounded HTTP load generator for the benchmarks: wrk when installed, else a
small keep-alive client in Python.

Both are closed-loop: ``connections`` requests in flight, each connection sending
its next request when the previous answer is in, cycling through ``paths``. wrk
(C, Debian's ``wrk``; ``make test`` installs it) leaves the server most of the two
cores; the Python fallback costs a core of its own, so its figures are lower bounds.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import socket
import statistics
import subprocess
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

DONE_LUA = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "RESULT {\\"requests\\": %d, \\"seconds\\": %f, \\"p50_ms\\": %f, " ..
    "\\"p99_ms\\": %f, \\"errors\\": %d, \\"non2xx\\": %d}\\n",
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1e3,
    latency:percentile(99) / 1e3, e.connect + e.read + e.write + e.timeout,
    e.status))
end
"""
GET_LUA = """
-- cycle through the paths
local paths = {PATHS}
local n = 0
wrk.headers["Accept-Encoding"] = "gzip"
request = function()
  n = n + 1
  return wrk.format("GET", paths[(n % #paths) + 1])
end
"""
POST_LUA = """
-- each thread sends its own slice of the lines of a file in order (header TAB
-- body), then cheap GET /health once its slice is done
local counter = 0
setup = function(thread)
  thread:set("id", counter)
  counter = counter + 1
end
local lines, path, header, last, i = {}, nil, nil, 0, 0
init = function(args)
  path, header = args[1], args[2]
  for line in io.lines(args[3]) do lines[#lines + 1] = line end
  local per = math.ceil(#lines / tonumber(args[4]))
  i = id * per + 1
  last = math.min(#lines, i + per - 1)
end
request = function()
  if i > last then return wrk.format("GET", "/health") end
  local line = lines[i]
  i = i + 1
  local tab = line:find("\\t", 1, true)
  return wrk.format("POST", path, {["Content-Type"] = "application/json",
    [header] = line:sub(1, tab - 1)}, line:sub(tab + 1))
end
"""


@dataclass(frozen=True)
class Load:
    """What a load run measured."""

    tool: str
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: int

    @property
    def rate(self) -> float:
        """Requests per second."""
        return self.requests / self.seconds

    def line(self) -> str:
        """One line for the report."""
        return (
            f"{self.rate:,.0f} requests/s, p50 {self.p50_ms:.1f} ms, "
            f"p99 {self.p99_ms:.1f} ms, {self.errors} errors "
            f"({self.requests:,} requests in {self.seconds:.1f} s, {self.tool})"
        )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_ready(url: str, *, timeout_s: float = 60) -> None:
    """Poll ``url`` until it answers."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with urllib.request.urlopen(url, timeout=1):  # noqa: S310 - loopback
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def load(
    base: str,
    paths: list[str],
    *,
    seconds: float,
    connections: int,
    threads: int = 1,
    force_python: bool = False,
) -> Load:
    """Drive ``base`` with ``connections`` keep-alive connections for ``seconds``."""
    if shutil.which("wrk") and not force_python:
        return _wrk(base, paths, seconds, connections, threads)
    return asyncio.run(_python(base, paths, seconds, connections))


def _wrk(
    base: str, paths: list[str], seconds: float, connections: int, threads: int
) -> Load:
    lua = GET_LUA.replace("PATHS", ", ".join(json.dumps(p) for p in paths))
    return _run_wrk(base, lua + DONE_LUA, [], seconds, connections, threads)


def replay_posts(
    base: str,
    path: str,
    header: str,
    items: list[tuple[str, str]],
    *,
    seconds: float,
    connections: int,
    threads: int = 1,
) -> Load:
    """POST ``(header value, JSON body)`` items in order with wrk for ``seconds``,
    ``connections`` in flight (a time box: give more items than it can send; a
    thread that runs out sends ``GET /health`` instead, so count what the server
    stored, not wrk's requests)."""
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "requests.tsv"
        data.write_text("".join(f"{h}\t{b}\n" for h, b in items))
        args = [path, header, str(data), str(threads)]
        return _run_wrk(base, POST_LUA + DONE_LUA, args, seconds, connections, threads)


def _run_wrk(
    base: str,
    lua: str,
    args: list[str],
    seconds: float,
    connections: int,
    threads: int,
) -> Load:
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "load.lua"
        script.write_text(lua)
        done = subprocess.run(
            [
                "wrk",
                f"-t{threads}",
                f"-c{connections}",
                f"-d{max(1, round(seconds))}s",
                "--timeout",
                "10s",
                "-s",
                str(script),
                base,
                *(["--", *args] if args else []),
            ],
            capture_output=True,
            text=True,
            check=True,
        )
    line = next(x for x in done.stdout.splitlines() if x.startswith("RESULT "))
    r = json.loads(line.removeprefix("RESULT "))
    return Load(
        "wrk",
        r["requests"],
        r["seconds"],
        r["p50_ms"],
        r["p99_ms"],
        r["errors"] + r["non2xx"],
    )


async def _python(
    base: str, paths: list[str], seconds: float, connections: int
) -> Load:
    host, port = base.removeprefix("http://").split(":")
    latencies: list[float] = []
    errors = 0
    stop = time.perf_counter() + seconds

    async def client(k: int) -> None:
        nonlocal errors
        reader, writer = await asyncio.open_connection(host, int(port))
        n = k
        while time.perf_counter() < stop:
            path = paths[n % len(paths)]
            n += connections
            began = time.perf_counter()
            writer.write(
                f"GET {path} HTTP/1.1\r\nHost: {host}\r\n"
                "Accept-Encoding: gzip\r\n\r\n".encode()
            )
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head.split(b" ", 2)[1])
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            await reader.readexactly(length)
            latencies.append(time.perf_counter() - began)
            errors += status >= 400
        writer.close()

    began = time.perf_counter()
    await asyncio.gather(*(client(k) for k in range(connections)))
    took = time.perf_counter() - began
    q = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [0.0] * 99
    return Load(
        "python",
        len(latencies),
        took,
        statistics.median(latencies) * 1000 if latencies else 0.0,
        q[98] * 1000,
        errors,
    )
