"""Command line: ``agentbay-emulator`` or ``python -m agentbay_emulator``."""

from __future__ import annotations

import argparse
import logging
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


EXAMPLES = """\
Examples:
  %(prog)s --port 8765 --data-dir ./emulator-data
  %(prog)s --port 0 --quiet          # a free port, warnings only
  %(prog)s --tls --data-dir ./emulator-data   # HTTPS, with a local CA"""


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the command."""
    parser = argparse.ArgumentParser(
        prog="agentbay-emulator",
        description="A local, persistent emulator of the AgentBay context service.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=EXAMPLES,
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
            "put_corrupt=0.1 (a PUT stored with one byte inverted); "
            "quotas per account, e.g. quota=200 (calls/s), quota:GetContext=50/2s, "
            "quota_retry_after=1 (send x-acs-retry-after)"
        ),
    )
    parser.add_argument(
        "--log-level",
        default="info",
        choices=["critical", "error", "warning", "info", "debug"],
        help="log level (info: one line per request, path only)",
    )
    parser.add_argument(
        "--quiet",
        action="store_true",
        help="log warnings and errors only (the same as --log-level warning)",
    )
    parser.add_argument(
        "--tls",
        action="store_true",
        help="serve HTTPS with a certificate of a local CA kept in DATA_DIR/tls/ca.pem",
    )
    return parser


LOG_FORMAT = "%(asctime)s %(levelname)s %(message)s"


def _configure_logging(level: str) -> None:
    """One line per record on stderr, for uvicorn's loggers and the emulator's."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(LOG_FORMAT, "%H:%M:%S"))
    for name in ("uvicorn", "agentbay_emulator"):
        log = logging.getLogger(name)
        log.handlers[:] = [handler]
        log.setLevel(level.upper())
        log.propagate = False


def main(argv: Sequence[str] | None = None) -> int:
    """Run the emulator in the foreground until interrupted; 1 (after one line on stderr) if
    it cannot start."""
    args = build_parser().parse_args(argv)
    try:
        import uvicorn

        from .app import create_app
        from .server import PromptServer, bind_socket, endpoint_url
        from .tls import ensure_certificates, names_for
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
    certificates = None
    if args.tls:
        try:
            certificates = ensure_certificates(args.data_dir, names_for(args.host))
        except ModuleNotFoundError as exc:
            sock.close()
            return _fail(missing_extra(exc) or str(exc))
        except (OSError, ValueError) as exc:
            sock.close()
            return _fail(f"cannot make a TLS certificate in {args.data_dir}: {exc}")
    level = "warning" if args.quiet else args.log_level
    _configure_logging(level)
    url = endpoint_url(sock, "https" if certificates else "http")
    print(f"AgentBay emulator listening on {url} (data: {args.data_dir.resolve()})", flush=True)
    if certificates is not None:
        print(f"TLS: trust the CA certificate {certificates.ca.resolve()}", flush=True)
    config = uvicorn.Config(
        app,
        lifespan="on",
        log_config=None,
        log_level=level,
        access_log=False,
        timeout_graceful_shutdown=3,
        ssl_certfile=certificates.certificate if certificates else None,
        ssl_keyfile=certificates.key if certificates else None,
    )
    # uvicorn shuts down gracefully on SIGINT/SIGTERM, then re-raises the signal: these
    # handlers turn that last step into a clean exit (status 0) instead of a kill. Transfers
    # in flight end at once (their temporary parts removed), RPC calls may finish.
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, _stop)
    try:
        PromptServer(config, app.state.emulator.stop_transfers).run(sockets=[sock])
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
