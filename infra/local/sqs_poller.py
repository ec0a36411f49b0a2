"""Run the embedding function against a real SQS endpoint, as Lambda's SQS trigger would.

    python infra/local/sqs_poller.py --queue-url URL [--endpoint-url http://127.0.0.1:5000]

The function is imported from functions/embed_worker/app.py with this process's
environment (MEMORY_DATABASE_URL, MEMORY_EMBEDDING_PROVIDER, ...). Successes are deleted;
failures come back after --retry-delay seconds and, after the queue's maxReceiveCount,
SQS moves them to the dead-letter queue. See docs/DEPLOY.md.
"""

from __future__ import annotations

import argparse
import importlib.util
import logging
from pathlib import Path

import boto3

from memory_mesh.cloud.sqs_poller import SqsPoller

WORKER = Path(__file__).resolve().parents[2] / "functions" / "embed_worker" / "app.py"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queue-url", required=True)
    parser.add_argument("--endpoint-url", help="moto / LocalStack; omit for AWS")
    parser.add_argument("--region", default="us-east-1")
    parser.add_argument("--retry-delay", type=int, default=0, help="seconds before a retry")
    parser.add_argument("--once", action="store_true", help="drain the queue, then exit")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO)

    spec = importlib.util.spec_from_file_location("embed_worker_app", WORKER)
    assert spec is not None and spec.loader is not None
    worker = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(worker)

    sqs = boto3.client("sqs", region_name=args.region, endpoint_url=args.endpoint_url)
    poller = SqsPoller(
        sqs,
        args.queue_url,
        worker.lambda_handler,
        wait_seconds=0 if args.once else 10,
        retry_delay_seconds=args.retry_delay,
    )
    try:
        if args.once:
            print(poller.drain())
        else:
            poller.run_forever()
    finally:
        worker.container.close()


if __name__ == "__main__":
    main()
