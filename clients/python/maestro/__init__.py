"""maestro: a Python client and worker for maestro-ts (its gRPC API, proto/maestro/v1).

    from maestro import Client, Worker, FatalError

Needs grpcio and protobuf (Debian: apt-get install python3-grpcio). The generated messages and
stubs live in maestro._gen.v1 (scripts/gen-python.sh).
"""
__version__ = "0.1.0"

from maestro.errors import FatalError, MaestroError, PlatformError  # noqa: E402
from maestro.values import from_value, to_value  # noqa: E402
from maestro.client import Client  # noqa: E402
from maestro.worker import Task, Worker  # noqa: E402

__all__ = ["Client", "Worker", "Task", "FatalError", "PlatformError", "MaestroError", "to_value", "from_value", "__version__"]
