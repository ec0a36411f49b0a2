"""The committed events are what AWS sends: each validates against Powertools' parser
model for its source (the same shapes `sam local generate-event` prints)."""

from __future__ import annotations

import pytest
from aws_lambda_powertools.utilities.parser import parse
from aws_lambda_powertools.utilities.parser.models import (
    APIGatewayProxyEventV2Model,
    APIGatewayWebSocketConnectEventModel,
    APIGatewayWebSocketDisconnectEventModel,
    APIGatewayWebSocketMessageEventModel,
    CloudFormationCustomResourceCreateModel,
    EventBridgeModel,
    SqsModel,
)
from pydantic import BaseModel

from tests.infra.lambda_support import EVENTS, load_event

MODELS: dict[str, type[BaseModel]] = {
    "http_messages_post": APIGatewayProxyEventV2Model,
    "http_memory_search": APIGatewayProxyEventV2Model,
    "http_admin_health": APIGatewayProxyEventV2Model,
    "http_analytics_usage": APIGatewayProxyEventV2Model,
    "http_auth_login": APIGatewayProxyEventV2Model,
    "http_conversations_list": APIGatewayProxyEventV2Model,
    "http_export": APIGatewayProxyEventV2Model,
    "sqs_receive_message": SqsModel,
    "events_scheduled": EventBridgeModel,
    "cloudformation_create_request": CloudFormationCustomResourceCreateModel,
    "websocket_connect": APIGatewayWebSocketConnectEventModel,
    "websocket_disconnect": APIGatewayWebSocketDisconnectEventModel,
    "websocket_message_search": APIGatewayWebSocketMessageEventModel,
    "websocket_message_default": APIGatewayWebSocketMessageEventModel,
}


@pytest.mark.parametrize("name", sorted(MODELS))
def test_committed_event_matches_its_aws_model(name: str) -> None:
    parsed = parse(event=load_event(name), model=MODELS[name])
    assert parsed is not None


def test_every_committed_event_is_validated() -> None:
    assert {p.stem for p in EVENTS.glob("*.json")} == set(MODELS)


def test_websocket_events_carry_the_route_key_the_function_dispatches_on() -> None:
    routes = {
        load_event(name)["requestContext"]["routeKey"]
        for name in MODELS
        if name.startswith("websocket_")
    }
    assert routes == {"$connect", "$disconnect", "search", "$default"}
