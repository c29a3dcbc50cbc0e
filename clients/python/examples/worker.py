"""A worker serving the step type `python_etl` (see examples/client.py).

    PYTHONPATH=clients/python python3 clients/python/examples/worker.py localhost:50051
"""
import logging
import signal
import sys

from maestro import FatalError, Worker

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")


def handle(task):
    """One attempt of a step: returns its output params (visible to later steps)."""
    region = task.params["region"]  # the step's evaluated params (its "${region}" is the workflow param)
    batch = task.params["batch_size"]  # a LONG param: a Python int
    if batch <= 0:
        raise FatalError(f"batch_size must be positive, got {batch}")  # FATALLY_FAILED, no retry
    task.log(f"{task.step_id}: {region}, batches of {batch}")  # kept as the attempt's stdout
    if task.cancelled.is_set():  # the step was stopped or timed out: give up early
        return None
    rows = batch * 3
    return {"rows": rows, "region": region, "ok": True}  # any other exception: USER_FAILED


addresses = sys.argv[1] if len(sys.argv) > 1 else "localhost:50051"  # "a:50051,b:50051": fail over
worker = Worker(addresses, ["python_etl"], handle, concurrency=8)
signal.signal(signal.SIGTERM, lambda *_: worker.stop())
try:
    worker.run()  # blocks; reconnects (to the next address) when the stream drops
except KeyboardInterrupt:
    worker.stop()
