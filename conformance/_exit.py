"""The exit codes every command shares (README "Exit codes")."""

EXIT_OK = 0
"""Conformant (warnings allowed)."""
EXIT_DEPARTURES = 1
"""Departures found (or, for compare and drift --fail-on, regressions)."""
EXIT_USAGE = 2
"""A usage or configuration error: one line on stderr, no traceback."""
EXIT_UNREACHABLE = 3
"""The target is unreachable, or rejected the credentials, before any test ran."""
EXIT_INTERRUPTED = 130
"""Interrupted (Ctrl-C or SIGTERM): the reports cover the tests that ran and say the run did not complete."""
