"""Seamless on Dask: SeamlessDaskClient, the worker plugin and the seamless-dask-wrapper server.."""
