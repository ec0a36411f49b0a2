"""A local stand-in for Lambda's SQS event source mapping.

receive (up to 10) -> call the handler with a Lambda-shaped SQS event -> delete the
records it did not report in ``batchItemFailures`` -> the failures become visible again
(after ``retry_delay_seconds``) and, once received ``maxReceiveCount`` times, SQS's own
redrive policy moves them to the dead-letter queue. Works against any SQS endpoint:
moto in server mode, LocalStack, or AWS itself.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)

Handler = Callable[[dict[str, Any], Any], Any]


@dataclass
class LocalLambdaContext:
    """The attributes of Lambda's context object that handlers and Powertools read."""

    function_name: str = "local-function"
    function_version: str = "$LATEST"
    memory_limit_in_mb: int = 1024
    timeout_seconds: float = 60.0
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    log_group_name: str = "/aws/lambda/local-function"
    log_stream_name: str = "local"
    _started: float = field(default_factory=time.monotonic)

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:us-east-1:000000000000:function:{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.timeout_seconds - (time.monotonic() - self._started)) * 1000))


def queue_arn(client: Any, queue_url: str) -> str:
    attrs = client.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])
    return str(attrs["Attributes"]["QueueArn"])


def lambda_sqs_event(messages: list[dict[str, Any]], *, arn: str, region: str) -> dict[str, Any]:
    """The event Lambda passes for these ``receive_message`` results."""
    return {
        "Records": [
            {
                "messageId": m["MessageId"],
                "receiptHandle": m["ReceiptHandle"],
                "body": m["Body"],
                "attributes": m.get("Attributes", {}),
                "messageAttributes": m.get("MessageAttributes", {}),
                "md5OfBody": m["MD5OfBody"],
                "eventSource": "aws:sqs",
                "eventSourceARN": arn,
                "awsRegion": region,
            }
            for m in messages
        ]
    }


@dataclass
class PollResult:
    received: int = 0
    succeeded: int = 0
    failed: int = 0


class SqsPoller:
    def __init__(
        self,
        client: Any,
        queue_url: str,
        handler: Handler,
        *,
        batch_size: int = 10,
        wait_seconds: int = 0,
        retry_delay_seconds: int = 0,
        function_name: str = "embed-worker",
    ) -> None:
        self.client = client
        self.queue_url = queue_url
        self.handler = handler
        self.batch_size = min(batch_size, 10)
        self.wait_seconds = wait_seconds
        self.retry_delay_seconds = retry_delay_seconds
        self.function_name = function_name
        self.region = str(client.meta.region_name)
        self.arn = queue_arn(client, queue_url)

    def poll_once(self) -> PollResult:
        """One receive -> invoke -> delete round."""
        received = self.client.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=self.batch_size,
            WaitTimeSeconds=self.wait_seconds,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        if not received:
            return PollResult()
        event = lambda_sqs_event(received, arn=self.arn, region=self.region)
        try:
            response = self.handler(event, LocalLambdaContext(function_name=self.function_name))
            failed_ids = {
                item["itemIdentifier"] for item in (response or {}).get("batchItemFailures", [])
            }
        except Exception:  # Lambda treats a raised handler as the whole batch failing
            log.exception("handler failed the whole batch")
            failed_ids = {m["MessageId"] for m in received}
        done = [m for m in received if m["MessageId"] not in failed_ids]
        if done:
            self.client.delete_message_batch(
                QueueUrl=self.queue_url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)
                ],
            )
        for m in received:
            if m["MessageId"] in failed_ids:
                self.client.change_message_visibility(
                    QueueUrl=self.queue_url,
                    ReceiptHandle=m["ReceiptHandle"],
                    VisibilityTimeout=self.retry_delay_seconds,
                )
        return PollResult(received=len(received), succeeded=len(done), failed=len(failed_ids))

    def drain(self, *, max_rounds: int = 100) -> PollResult:
        """Poll until a receive finds nothing (or ``max_rounds``); totals of all rounds."""
        total = PollResult()
        for _ in range(max_rounds):
            result = self.poll_once()
            if result.received == 0:
                break
            total.received += result.received
            total.succeeded += result.succeeded
            total.failed += result.failed
        return total

    def run_forever(self, *, idle_sleep_seconds: float = 1.0) -> None:
        while True:
            if self.poll_once().received == 0 and self.wait_seconds == 0:
                time.sleep(idle_sleep_seconds)
