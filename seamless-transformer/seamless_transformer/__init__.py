"""Seamless transformers: direct, delayed and Transformation, content-addressed and cached.."""
