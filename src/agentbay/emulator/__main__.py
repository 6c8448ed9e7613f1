"""Command line: ``agentbay-emulator`` or ``python -m agentbay.emulator``."""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from . import missing_extra
from .faults import FaultSpec, parse_duration


def _faults(value: str) -> FaultSpec:
    try:
        return FaultSpec.parse(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _seconds(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        try:
            return parse_duration(value)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None
    if seconds < 0:
        raise argparse.ArgumentTypeError("must not be negative")
    return seconds


def _ttl(value: str) -> int:
    try:
        seconds = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number of seconds") from None
    if seconds < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return seconds


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the command."""
    parser = argparse.ArgumentParser(
        prog="agentbay-emulator",
        description="A local, persistent emulator of the AgentBay context service.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    parser.add_argument(
        "--port", type=int, default=8765, help="port to listen on; 0 picks a free one (8765)"
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=Path(".agentbay-emulator"),
        help="where contexts and files persist (./.agentbay-emulator)",
    )
    parser.add_argument(
        "--url-ttl", type=_ttl, default=3600, help="lifetime of presigned URLs in seconds (3600)"
    )
    parser.add_argument(
        "--clear-delay",
        type=_seconds,
        default=1.0,
        help="seconds a cleared context reads 'clearing' (1.0)",
    )
    parser.add_argument(
        "--api-key",
        action="append",
        dest="api_keys",
        metavar="KEY",
        help="accept only this API key (repeatable); by default any key is its own account",
    )
    parser.add_argument(
        "--faults",
        type=_faults,
        default=None,
        metavar="SPEC",
        help=(
            "inject faults, e.g. throttle=0.1,error=0.05,latency=20ms,seed=1 into RPC calls, "
            "transfer_error=0.1,transfer_cut=0.1,transfer_latency=20ms into presigned transfers, "
            "transfer_corrupt=0.1 (a GET's body served with one byte inverted) and "
            "put_corrupt=0.1 (a PUT stored with one byte inverted)"
        ),
    )
    parser.add_argument(
        "--log-level",
        default="info",
        choices=["critical", "error", "warning", "info", "debug"],
        help="uvicorn log level (info)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the emulator in the foreground until interrupted; 1 (after one line on stderr) if
    it cannot start."""
    args = build_parser().parse_args(argv)
    try:
        import uvicorn

        from .app import create_app
        from .server import bind_socket, endpoint_url
    except ModuleNotFoundError as exc:
        hint = missing_extra(exc)
        if hint is None:
            raise
        return _fail(hint)
    try:
        app = create_app(
            args.data_dir,
            url_ttl=args.url_ttl,
            clear_delay=args.clear_delay,
            api_keys=args.api_keys,
            faults=args.faults,
        )
    except Exception as exc:  # any startup failure: one line, no traceback
        return _fail(f"cannot use the data directory {args.data_dir}: {exc}")
    try:
        sock = bind_socket(args.host, args.port)
    except OSError as exc:
        return _fail(f"cannot listen on {args.host}:{args.port}: {exc}")
    print(
        f"AgentBay emulator listening on {endpoint_url(sock)} (data: {args.data_dir.resolve()})",
        flush=True,
    )
    config = uvicorn.Config(
        app, lifespan="on", log_level=args.log_level, timeout_graceful_shutdown=3
    )
    # uvicorn shuts down gracefully on SIGINT/SIGTERM, then re-raises the signal: these
    # handlers turn that last step into a clean exit (status 0) instead of a kill.
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, _stop)
    try:
        uvicorn.Server(config).run(sockets=[sock])
    except _Stopped:
        pass
    finally:
        sock.close()
    return 0


def _fail(reason: str) -> int:
    print(f"agentbay-emulator: {reason}", file=sys.stderr)
    return 1


class _Stopped(Exception):
    """Raised by the signal handlers once uvicorn has stopped."""


def _stop(signum: int, frame: object) -> None:
    raise _Stopped()


if __name__ == "__main__":
    sys.exit(main())
