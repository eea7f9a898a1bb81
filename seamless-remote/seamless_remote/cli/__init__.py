"""Command-line entry points of seamless-remote (`seamless-resolve`)."""
