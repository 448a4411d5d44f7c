import copy

from django.db import connections

# A read replica for the router tests, declared the way settings.py declares one from
# DATABASE_REPLICA_URLS: a test mirror of `default`, so the test run points it at the
# test database. Nothing routes to it unless a test installs the router.
if "replica1" not in connections.settings:
    replica = copy.deepcopy(connections.settings["default"])
    replica["TEST"] = {**replica.get("TEST", {}), "MIRROR": "default"}
    connections.settings["replica1"] = replica
