"""The test harness of the Seamless monorepo: an unpublished pytest plugin (never shipped).

:mod:`seamless_testing.servers` starts real hashserver / seamless-database processes;
:mod:`seamless_testing.plugin` (loaded by pytest through the ``pytest11`` entry point) provides
the fixtures, the autouse reset of every declared registry, and the harness self-check
(:mod:`seamless_testing.registry_check`).
"""
