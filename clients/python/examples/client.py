"""Pushes a workflow whose steps a Python worker runs (examples/worker.py), starts it and waits.

    PYTHONPATH=clients/python python3 clients/python/examples/client.py localhost:50051
"""
import sys

from maestro import Client

DEFINITION = {
    "properties": {"owner": "data-eng", "run_strategy": "sequential"},
    "workflow": {
        "id": "py-etl",
        "params": {"region": {"value": "eu-west-1", "type": "STRING"}},
        "steps": [
            {"step": {"id": "extract", "type": "python_etl",
                      "params": {"batch_size": {"value": 100, "type": "LONG"},
                                 "region": {"value": "${region}", "type": "STRING"}},  # the workflow param
                      "transition": {"successors": {"load": "true"}}}},
            {"step": {"id": "load", "type": "python_etl",
                      "params": {"batch_size": {"value": 10, "type": "LONG"},
                                 "region": {"value": "${region}", "type": "STRING"}}}},
        ],
    },
}

with Client(sys.argv[1] if len(sys.argv) > 1 else "localhost:50051") as client:
    # The step type must be known when pushing: start the worker first (it registers python_etl).
    client.push(DEFINITION)
    inst = client.start("py-etl", params={"region": "us-west-2"})
    print("started", inst["workflow_id"], inst["instance_id"])
    final = client.wait("py-etl", inst["instance_id"], timeout=60)
    print("status", final["status"])
    for step in final["steps"]:
        print(f"  {step['step_id']}: {step['status']} outputs={step['outputs']}")
