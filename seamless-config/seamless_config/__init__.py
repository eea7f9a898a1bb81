"""Seamless configuration: the command language, clusters, selection state and service launch dicts.."""
