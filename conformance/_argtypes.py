"""Argument types for the command line and the pytest options, named for their error messages
(argparse says "invalid <name> value: 'x'")."""

from __future__ import annotations

import argparse


def positive_int(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError(f"{value} is not a positive whole number")
    return number


def non_negative_float(value: str) -> float:
    number = float(value)
    if number < 0:
        raise argparse.ArgumentTypeError(f"{value} is negative")
    return number


def port(value: str) -> int:
    number = int(value)
    if not 0 <= number <= 65535:
        raise argparse.ArgumentTypeError(f"{value} is not a port number (0-65535)")
    return number


positive_int.__name__ = "positive whole number"
non_negative_float.__name__ = "non-negative number"
port.__name__ = "port number"
