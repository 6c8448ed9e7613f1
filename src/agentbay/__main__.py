"""``python -m agentbay``: the ``agentbay`` command line (needs the ``cli`` extra)."""

from .cli import main

if __name__ == "__main__":
    main()
