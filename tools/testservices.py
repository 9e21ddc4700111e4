#!/usr/bin/env python3
"""Start a private MariaDB and Redis for the test suite, run a command against them, stop them.

    python tools/testservices.py run -- pytest -q        # start, run, stop
    python tools/testservices.py start                   # leave them running (prints env)
    python tools/testservices.py stop

Both servers live under var/testservices/ (data, sockets, logs), listen on free loopback
ports, and never touch a system-wide MariaDB or Redis. Missing server packages are installed
with apt-get when running as root; otherwise the message says what to install.
Standard library only: it runs before the virtualenv's packages matter.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STATE_DIR = Path(os.environ.get("REANIMATOR_TESTSERVICES_DIR", ROOT / "var" / "testservices"))
STATE_FILE = STATE_DIR / "state.json"
APT_PACKAGES = ["mariadb-server", "mariadb-client", "redis-server", "default-libmysqlclient-dev", "pkg-config"]
DB_USER = "reanimator"
DB_PASSWORD = "reanimator-test"  # noqa: S105 - a throwaway server bound to loopback for tests


def log(message: str) -> None:
    print(f"[testservices] {message}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def find_binary(*names: str) -> str | None:
    for name in names:
        for directory in (None, "/usr/sbin", "/usr/bin", "/usr/local/sbin"):
            path = shutil.which(name, path=directory) if directory else shutil.which(name)
            if path:
                return path
    return None


def ensure_packages() -> None:
    needed = {
        "mariadbd": find_binary("mariadbd", "mysqld"),
        "mariadb-install-db": find_binary("mariadb-install-db", "mysql_install_db"),
        "redis-server": find_binary("redis-server"),
    }
    if all(needed.values()):
        return
    missing = ", ".join(name for name, path in needed.items() if not path)
    if os.geteuid() != 0:
        sys.exit(
            f"[testservices] missing {missing}. Install them first:\n  sudo apt-get install -y {' '.join(APT_PACKAGES)}"
        )
    if not shutil.which("apt-get"):
        sys.exit(f"[testservices] missing {missing} and no apt-get here: install MariaDB and Redis by hand.")
    log(f"installing {' '.join(APT_PACKAGES)} with apt-get")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "-qq", *APT_PACKAGES], check=True, env=env)


def wait_for(check: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise RuntimeError(f"{what} did not come up within {timeout:.0f}s; see logs in {STATE_DIR}")


def port_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def start_mariadb() -> dict[str, object]:
    data = STATE_DIR / "mariadb"
    sock = STATE_DIR / "mariadb.sock"
    port = free_port()
    mariadbd = find_binary("mariadbd", "mysqld")
    install_db = find_binary("mariadb-install-db", "mysql_install_db")
    client = find_binary("mariadb", "mysql")
    if not (mariadbd and install_db and client):
        raise RuntimeError("MariaDB server or client binaries not found after installation")
    if data.exists():
        shutil.rmtree(data)
    data.mkdir(parents=True)
    user = ["--user=root"] if os.geteuid() == 0 else []
    subprocess.run(
        [install_db, f"--datadir={data}", "--auth-root-authentication-method=normal", "--skip-test-db", *user],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=open(STATE_DIR / "mariadb-install.log", "w"),  # noqa: SIM115
    )
    proc = subprocess.Popen(
        [
            mariadbd,
            "--no-defaults",
            f"--datadir={data}",
            f"--socket={sock}",
            f"--port={port}",
            "--bind-address=127.0.0.1",
            f"--pid-file={STATE_DIR / 'mariadb.pid'}",
            f"--log-error={STATE_DIR / 'mariadb.err'}",
            "--character-set-server=utf8mb4",
            "--collation-server=utf8mb4_unicode_ci",
            "--transaction-isolation=READ-COMMITTED",
            "--innodb-buffer-pool-size=2G",  # allocated as used; the 2,000-server bench fills 512M
            "--innodb-log-file-size=1G",  # a small redo log forces furious page flushing under ingest
            "--innodb-flush-log-at-trx-commit=2",  # tests, not durability: fewer fsyncs
            "--skip-name-resolve",
            "--max-connections=300",
            *user,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    wait_for(lambda: port_open(port) and proc.poll() is None, "MariaDB")
    sql = (
        f"CREATE USER IF NOT EXISTS '{DB_USER}'@'127.0.0.1' IDENTIFIED BY '{DB_PASSWORD}';"
        f"GRANT ALL PRIVILEGES ON *.* TO '{DB_USER}'@'127.0.0.1';"
        "CREATE DATABASE IF NOT EXISTS reanimator CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;"
    )
    subprocess.run([client, f"--socket={sock}", "-uroot", "-e", sql], check=True)
    return {"pid": proc.pid, "port": port}


def start_redis() -> dict[str, object]:
    port = free_port()
    redis = find_binary("redis-server")
    if not redis:
        raise RuntimeError("redis-server not found after installation")
    proc = subprocess.Popen(
        [
            redis,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(STATE_DIR),
            "--logfile",
            str(STATE_DIR / "redis.log"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    wait_for(lambda: port_open(port) and proc.poll() is None, "Redis")
    return {"pid": proc.pid, "port": port}


def environment(state: dict[str, dict[str, object]]) -> dict[str, str]:
    db, redis = state["mariadb"], state["redis"]
    return {
        "DATABASE_URL": f"mysql://{DB_USER}:{DB_PASSWORD}@127.0.0.1:{db['port']}/reanimator",
        "REDIS_URL": f"redis://127.0.0.1:{redis['port']}/1",
        "REANIMATOR_TEST_BROKER_URL": f"redis://127.0.0.1:{redis['port']}/2",
    }


def start() -> dict[str, dict[str, object]]:
    ensure_packages()
    stop(quiet=True)
    STATE_DIR.mkdir(parents=True, exist_ok=True)
    state = {"mariadb": start_mariadb()}
    try:
        state["redis"] = start_redis()
    except BaseException:
        _kill(state["mariadb"])
        raise
    STATE_FILE.write_text(json.dumps(state))
    log(f"MariaDB on 127.0.0.1:{state['mariadb']['port']}, Redis on 127.0.0.1:{state['redis']['port']}")
    return state


def _kill(service: dict[str, object]) -> None:
    pid = int(service["pid"])  # type: ignore[call-overload]
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    for _ in range(100):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        try:  # reap it when it is our child
            if os.waitpid(pid, os.WNOHANG)[0] == pid:
                return
        except ChildProcessError:
            pass
        time.sleep(0.1)
    os.killpg(pid, signal.SIGKILL)


def stop(quiet: bool = False) -> None:
    if not STATE_FILE.exists():
        return
    state = json.loads(STATE_FILE.read_text())
    for name in ("redis", "mariadb"):
        if name in state:
            _kill(state[name])
    STATE_FILE.unlink()
    if not quiet:
        log("stopped MariaDB and Redis")


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"run", "start", "stop", "env"}:
        print(__doc__, file=sys.stderr)
        return 2
    command = argv[0]
    if command == "stop":
        stop()
        return 0
    if command == "env":
        if not STATE_FILE.exists():
            return 1
        for key, value in environment(json.loads(STATE_FILE.read_text())).items():
            print(f"export {key}='{value}'")
        return 0
    state = start()
    if command == "start":
        for key, value in environment(state).items():
            print(f"export {key}='{value}'")
        return 0
    rest = argv[1:]
    if rest and rest[0] == "--":
        rest = rest[1:]
    if not rest:
        print("run needs a command after --", file=sys.stderr)
        stop()
        return 2
    try:
        return subprocess.call(rest, env={**os.environ, **environment(state)})
    finally:
        stop()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
