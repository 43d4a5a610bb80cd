"""DynamoDB (the shared session tier's table) authorized as AWS does: against the table's ARN.

Stock moto checks every DynamoDB action against the resource "*", so a policy scoped to one table
(ours: infra/policies/lambda-session-table.json and revocations-session-table.json) would never
match and, with our evaluator, every call would be denied. `_determine_resource` gives moto the
table's ARN (`arn:aws:dynamodb:<region>:<account>:table/<name>`) from the request's `TableName`,
or, for BatchGetItem / BatchWriteItem, from `RequestItems` when they name exactly one table. A
request naming several tables (or none) stays on "*": allowed only by a policy on every table,
the stricter side (AWS authorizes each table of a batch on its own).

Moto internals touched: moto.dynamodb.responses.DynamoHandler (`_determine_resource` added; it
reads `self.body`, which DynamoHandler.call_action sets to the parsed request, and `self.region`,
`self.current_account`).
"""

import json


def _table_names(body):
    if isinstance(body, (str, bytes)):
        try:
            body = json.loads(body or "{}")
        except ValueError:
            return []
    if not isinstance(body, dict):
        return []
    if isinstance(body.get("TableName"), str):
        return [body["TableName"]]
    items = body.get("RequestItems")
    return list(items) if isinstance(items, dict) else []


def _dynamodb_resource(self):
    names = _table_names(getattr(self, "body", None))
    if len(names) != 1 or "/" in names[0]:
        return "*"
    return f"arn:aws:dynamodb:{self.region}:{self.current_account}:table/{names[0]}"


def apply():
    from moto.dynamodb.responses import DynamoHandler

    DynamoHandler._determine_resource = _dynamodb_resource
