"""Test doubles: a loopback Discord and what tests use in its place."""
