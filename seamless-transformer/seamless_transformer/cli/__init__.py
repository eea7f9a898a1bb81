"""Command-line tools of seamless-transformer (``seamless-run``)."""
