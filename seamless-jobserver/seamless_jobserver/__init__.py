"""Seamless job server (not written yet: an empty package).."""
