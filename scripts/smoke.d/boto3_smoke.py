"""Smoke test of dynamodb-memory with boto3: run by scripts/smoke.

Covers the item, query, batch and transaction operations, exact numbers, and PartiQL
(`partiql`). Needs DYNAMODB_MEMORY_ENDPOINT (and fake credentials, region us-east-1, set by
scripts/smoke).
With DYNAMODB_MEMORY_SIGNED_ENDPOINT, SMOKE_SIGNED_KEY and SMOKE_SIGNED_SECRET (a server started
with `--require-signature KEY:SECRET`) it also checks who gets in there.
Prints `smoke boto3: N checks passed`, or a message naming the failed check and exits 1.
"""

import calendar
import os
import sys
import time
import uuid
from decimal import Decimal

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

ENDPOINT = os.environ["DYNAMODB_MEMORY_ENDPOINT"]
checks = 0


def check(ok, what):
    """Counts one check; exits with `what` when it fails."""
    global checks
    if not ok:
        print(f"smoke boto3: FAILED: {what}", file=sys.stderr)
        sys.exit(1)
    checks += 1


def error_code(call):
    """Runs `call`, which must fail with a ClientError; returns (code, response)."""
    try:
        call()
    except ClientError as e:
        return e.response["Error"]["Code"], e.response
    check(False, "the call succeeded where an error was expected")
    return None, None


def main():
    config = Config(retries={"max_attempts": 1}, connect_timeout=5, read_timeout=10)
    kwargs = dict(
        endpoint_url=ENDPOINT,
        region_name="us-east-1",
        aws_access_key_id="fake",
        aws_secret_access_key="fake",
        config=config,
    )
    client = boto3.client("dynamodb", **kwargs)
    resource = boto3.resource("dynamodb", **kwargs)
    name = f"smoke_boto3_{uuid.uuid4().hex[:8]}"

    # A table with a GSI.
    client.create_table(
        TableName=name,
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
            {"AttributeName": "gpk", "AttributeType": "S"},
            {"AttributeName": "gsk", "AttributeType": "N"},
        ],
        KeySchema=[
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "by_group",
                "KeySchema": [
                    {"AttributeName": "gpk", "KeyType": "HASH"},
                    {"AttributeName": "gsk", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    client.get_waiter("table_exists").wait(
        TableName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 5}
    )
    table_desc = client.describe_table(TableName=name)["Table"]
    check(table_desc["TableStatus"] == "ACTIVE", "the new table is ACTIVE")
    check(
        [g["IndexName"] for g in table_desc.get("GlobalSecondaryIndexes", [])] == ["by_group"],
        "DescribeTable lists the GSI by_group",
    )
    check(name in client.list_tables()["TableNames"], "ListTables names the new table")

    # Items: 40 under P#1 (in two BatchWriteItem calls of 20), 5 under P#2.
    def item(pk, i):
        return {
            "pk": {"S": pk},
            "sk": {"S": f"S#{i:03d}"},
            "gpk": {"S": f"G#{i % 2}"},
            "gsk": {"N": str(i)},
            "kind": {"S": "keep" if i % 3 == 0 else "drop"},
            "n": {"N": str(i)},
        }

    rows = [item("P#1", i) for i in range(40)] + [item("P#2", i) for i in range(5)]
    for start in range(0, len(rows), 20):
        answer = client.batch_write_item(
            RequestItems={name: [{"PutRequest": {"Item": r}} for r in rows[start : start + 20]]}
        )
        check(answer["UnprocessedItems"] == {}, "BatchWriteItem leaves nothing unprocessed")
    count = client.scan(TableName=name, Select="COUNT")["Count"]
    check(count == 45, f"a Scan counts the 45 items written (got {count})")

    # Query with a FilterExpression and a Limit, following LastEvaluatedKey to the end.
    expected = [f"S#{i:03d}" for i in range(40) if i % 3 == 0]
    seen, pages, start_key, scanned = [], 0, None, 0
    while True:
        request = dict(
            TableName=name,
            KeyConditionExpression="pk = :p AND begins_with(sk, :s)",
            FilterExpression="#k = :k",
            ExpressionAttributeNames={"#k": "kind"},
            ExpressionAttributeValues={":p": {"S": "P#1"}, ":s": {"S": "S#"}, ":k": {"S": "keep"}},
            Limit=4,
        )
        if start_key:
            request["ExclusiveStartKey"] = start_key
        page = client.query(**request)
        pages += 1
        check(page["ScannedCount"] <= 4, "a page evaluates at most Limit items")
        check(page["Count"] == len(page["Items"]), "Count is the number of Items on a page")
        scanned += page["ScannedCount"]
        seen += [i["sk"]["S"] for i in page["Items"]]
        start_key = page.get("LastEvaluatedKey")
        if not start_key:
            break
        check(set(start_key) == {"pk", "sk"}, "LastEvaluatedKey of a table query is its key")
        check(pages < 100, "the query pages end")
    check(seen == expected, f"the filtered query's pages give every item once, in order: {seen}")
    check(len(set(seen)) == len(seen), "no item repeated across pages")
    check(scanned == 40, f"the pages evaluated the 40 items of P#1 once each (got {scanned})")
    # DynamoDB may end on a page that reached its Limit with a LastEvaluatedKey, then an empty page.
    check(pages in (10, 11), f"Limit 4 over 40 items makes 10 pages, or 11 (got {pages})")

    # The GSI, descending, by pages of 3.
    # G#0 holds P#1's 20 even items and P#2's 0, 2 and 4.
    expected = sorted([i for i in range(40) if i % 2 == 0] + [0, 2, 4], reverse=True)
    seen, start_key = [], None
    while True:
        request = dict(
            TableName=name,
            IndexName="by_group",
            KeyConditionExpression="gpk = :g",
            ExpressionAttributeValues={":g": {"S": "G#0"}},
            ScanIndexForward=False,
            Limit=3,
        )
        if start_key:
            request["ExclusiveStartKey"] = start_key
        page = client.query(**request)
        seen += [(int(i["gsk"]["N"]), i["pk"]["S"], i["sk"]["S"]) for i in page["Items"]]
        start_key = page.get("LastEvaluatedKey")
        if not start_key:
            break
        check(
            set(start_key) == {"pk", "sk", "gpk", "gsk"},
            "LastEvaluatedKey of a GSI query has the table's and the index's keys",
        )
    check([s[0] for s in seen] == expected, "the GSI query's pages are in descending gsk order")
    check(len(set(seen)) == len(seen) == 23, f"the GSI pages give 23 distinct items (got {len(seen)})")

    # TransactWriteItems: one that succeeds, one cancelled by its second action's condition.
    client.transact_write_items(
        TransactItems=[
            {"Put": {"TableName": name, "Item": {"pk": {"S": "T#1"}, "sk": {"S": "A"}}}},
            {
                "Update": {
                    "TableName": name,
                    "Key": {"pk": {"S": "P#1"}, "sk": {"S": "S#000"}},
                    "UpdateExpression": "SET n = n + :one",
                    "ConditionExpression": "attribute_exists(pk)",
                    "ExpressionAttributeValues": {":one": {"N": "1"}},
                }
            },
        ]
    )
    got = client.get_item(TableName=name, Key={"pk": {"S": "T#1"}, "sk": {"S": "A"}}, ConsistentRead=True)
    check("Item" in got, "the successful transaction's Put is stored")
    got = client.get_item(TableName=name, Key={"pk": {"S": "P#1"}, "sk": {"S": "S#000"}})
    check(got["Item"]["n"] == {"N": "1"}, "the successful transaction's Update is applied")

    code, response = error_code(
        lambda: client.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": name, "Item": {"pk": {"S": "T#2"}, "sk": {"S": "A"}}}},
                {
                    "ConditionCheck": {
                        "TableName": name,
                        "Key": {"pk": {"S": "T#1"}, "sk": {"S": "A"}},
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
            ]
        )
    )
    check(code == "TransactionCanceledException", f"the cancelled transaction's code (got {code})")
    reasons = [r["Code"] for r in response.get("CancellationReasons", [])]
    check(
        reasons == ["None", "ConditionalCheckFailed"],
        f"CancellationReasons are [None, ConditionalCheckFailed] (got {reasons})",
    )
    got = client.get_item(TableName=name, Key={"pk": {"S": "T#2"}, "sk": {"S": "A"}})
    check("Item" not in got, "the cancelled transaction wrote nothing")

    # Exact 38-digit numbers through the resource layer (Decimal).
    table = resource.Table(name)
    numbers = {
        "a": Decimal("12345678901234567890.123456789012345678"),
        "b": Decimal("99999999999999999999999999999999999999"),
        "c": Decimal("-0.00000000000000000000000000000000000001"),
        "e": Decimal("1E-128"),  # boto3's own context stops at 1E-128 (DynamoDB at 1E-130)
    }
    table.put_item(Item={"pk": "NUM", "sk": "1", **numbers})
    back = table.get_item(Key={"pk": "NUM", "sk": "1"}, ConsistentRead=True)["Item"]
    for k, v in numbers.items():
        check(isinstance(back[k], Decimal), f"number {k} reads back as a Decimal")
        check(back[k] == v and back[k].as_tuple() == v.as_tuple(),
              f"number {k} reads back exactly: {v} (got {back[k]})")
    raw = client.get_item(TableName=name, Key={"pk": {"S": "NUM"}, "sk": {"S": "1"}})["Item"]
    check(raw["a"] == {"N": "12345678901234567890.123456789012345678"}, f"the wire text of a: {raw['a']}")
    check(raw["b"] == {"N": "99999999999999999999999999999999999999"}, f"the wire text of b: {raw['b']}")
    # The largest number, through the low-level client: DynamoDB answers it in plain digits
    # (126 of them), which boto3's resource layer cannot read back (boto/boto3#2500, #4693).
    client.put_item(TableName=name, Item={"pk": {"S": "NUM"}, "sk": {"S": "big"},
                                          "d": {"N": "9.9999999999999999999999999999999999999E+125"}})
    raw = client.get_item(TableName=name, Key={"pk": {"S": "NUM"}, "sk": {"S": "big"}})["Item"]
    check(raw["d"] == {"N": "9" * 38 + "0" * 88}, f"the largest number in plain digits: {raw['d']}")
    check(Decimal(raw["d"]["N"]) == Decimal("9.9999999999999999999999999999999999999E+125"),
          "the largest number reads back exactly")
    back = table.update_item(
        Key={"pk": "NUM", "sk": "1"},
        UpdateExpression="SET a = a + :tiny",
        ExpressionAttributeValues={":tiny": Decimal("0.000000000000000001")},
        ReturnValues="UPDATED_NEW",
    )["Attributes"]
    check(back["a"] == Decimal("12345678901234567890.123456789012345679"), f"38-digit arithmetic: {back['a']}")
    code, _ = error_code(
        lambda: client.put_item(TableName=name, Item={"pk": {"S": "NUM"}, "sk": {"S": "2"},
                                                      "x": {"N": "123456789012345678901234567890123456789"}})
    )
    check(code == "ValidationException", f"a 39-digit number is refused (got {code})")

    # A conditional put that fails.
    code, response = error_code(
        lambda: client.put_item(
            TableName=name,
            Item={"pk": {"S": "T#1"}, "sk": {"S": "A"}, "v": {"S": "new"}},
            ConditionExpression="attribute_not_exists(pk)",
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
    )
    check(code == "ConditionalCheckFailedException", f"a failed conditional put's code (got {code})")
    check(response.get("Item") == {"pk": {"S": "T#1"}, "sk": {"S": "A"}},
          f"the failed conditional put returns the stored item (got {response.get('Item')})")
    got = client.get_item(TableName=name, Key={"pk": {"S": "T#1"}, "sk": {"S": "A"}})["Item"]
    check("v" not in got, "the failed conditional put changed nothing")
    client.put_item(
        TableName=name,
        Item={"pk": {"S": "T#3"}, "sk": {"S": "A"}},
        ConditionExpression="attribute_not_exists(pk)",
    )
    check("Item" in client.get_item(TableName=name, Key={"pk": {"S": "T#3"}, "sk": {"S": "A"}}),
          "a conditional put whose condition holds is stored")

    client.delete_table(TableName=name)
    code, _ = error_code(lambda: client.describe_table(TableName=name))
    check(code == "ResourceNotFoundException", f"the deleted table is gone (got {code})")
    partiql(client)
    if os.environ.get("DYNAMODB_MEMORY_SIGNED_ENDPOINT"):
        signatures(config)
    print(f"smoke boto3: {checks} checks passed")


def partiql(client):
    """PartiQL: ExecuteStatement (INSERT with parameters, a projected nested path,
    DuplicateItemException, a filtered query paged by NextToken, UPDATE and DELETE with
    RETURNING), BatchExecuteStatement with a statement's own error, ExecuteTransaction committed
    and cancelled with a reason per statement."""
    name = f"smoke_partiql_{uuid.uuid4().hex[:8]}"
    client.create_table(
        TableName=name,
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "N"},
        ],
        KeySchema=[
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    table = f'"{name}"'

    def run(statement, parameters=None, **kwargs):
        if parameters is not None:
            kwargs["Parameters"] = parameters
        return client.execute_statement(Statement=statement, **kwargs)

    # INSERT with literals and parameters (a binary has no literal), then SELECT it back.
    for i in range(12):
        run(
            f"INSERT INTO {table} VALUE {{'pk': 'P', 'sk': ?, 'tag': ?, "
            f"'doc': {{'n': {i}, 'tags': <<'a', 'b'>>}}, 'bin': ?}}",
            [{"N": str(i)}, {"S": "even" if i % 2 == 0 else "odd"}, {"B": bytes([i])}],
        )
    got = run(f"SELECT doc.n, bin FROM {table} WHERE pk = 'P' AND sk = 3")["Items"]
    check(got == [{"n": {"N": "3"}, "bin": {"B": bytes([3])}}],
          f"a projected nested path comes back under its last name (got {got})")
    code, response = error_code(lambda: run(f"INSERT INTO {table} VALUE {{'pk': 'P', 'sk': 3}}"))
    check(code == "DuplicateItemException", f"INSERT of an existing key (got {code})")
    check(response["Error"]["Message"] == "Duplicate primary key exists in table",
          f"its message (got {response['Error']['Message']!r})")

    # A query of one partition with a filter, paged by Limit and NextToken, descending.
    seen, token, pages = [], None, 0
    while True:
        kwargs = {"Limit": 5}
        if token:
            kwargs["NextToken"] = token
        page = run(f"SELECT sk FROM {table} WHERE pk = ? AND tag = 'even' ORDER BY sk DESC",
                   [{"S": "P"}], **kwargs)
        pages += 1
        seen += [int(item["sk"]["N"]) for item in page["Items"]]
        token = page.get("NextToken")
        if not token:
            break
        check(pages < 10, "the pages end")
    check(seen == [10, 8, 6, 4, 2, 0], f"the filtered, descending query gives every match once (got {seen})")
    check(pages >= 3, f"Limit 5 over 12 items takes at least 3 pages (got {pages})")
    everything = run(f"SELECT * FROM {table}", ReturnConsumedCapacity="TOTAL")
    check(len(everything["Items"]) == 12, "a SELECT without WHERE scans the table")
    check(everything["ConsumedCapacity"]["TableName"] == name, "the read reports its consumed capacity")

    # UPDATE and DELETE name the full key; the rest of WHERE is a condition.
    updated = run(
        f"UPDATE {table} SET doc.n = doc.n + 100 SET doc.tags = set_add(doc.tags, <<'c'>>) "
        f"REMOVE bin WHERE pk = 'P' AND sk = 1 AND tag = 'odd' RETURNING MODIFIED NEW *"
    )["Items"]
    check(updated[0]["doc"]["M"]["n"] == {"N": "101"}, f"UPDATE ... RETURNING MODIFIED NEW * (got {updated})")
    code, _ = error_code(lambda: run(f"UPDATE {table} SET x = 1 WHERE pk = 'P' AND sk = 1 AND tag = 'even'"))
    check(code == "ConditionalCheckFailedException", f"a WHERE condition that fails (got {code})")
    code, response = error_code(lambda: run(f"DELETE FROM {table} WHERE pk = 'P'"))
    check(code == "ValidationException" and "mandatory equality on all key attributes" in response["Error"]["Message"],
          f"a DELETE without the full key (got {code})")
    old = run(f"DELETE FROM {table} WHERE pk = 'P' AND sk = 11 RETURNING ALL OLD *")["Items"]
    check(old and old[0]["sk"] == {"N": "11"}, "DELETE ... RETURNING ALL OLD * answers the old item")

    # BatchExecuteStatement: each statement answers on its own.
    responses = client.batch_execute_statement(Statements=[
        {"Statement": f"SELECT tag FROM {table} WHERE pk = 'P' AND sk = 2"},
        {"Statement": f"SELECT tag FROM {table} WHERE pk = 'P' AND sk = 99"},
        {"Statement": "SELECT * FROM \"smoke_partiql_no_such_table\" WHERE pk = 'P' AND sk = 1"},
    ])["Responses"]
    check(responses[0].get("Item") == {"tag": {"S": "even"}}, f"a batch SELECT finds its item (got {responses[0]})")
    check("Item" not in responses[1] and "Error" not in responses[1], "a batch SELECT of a missing item")
    check(responses[2].get("Error", {}).get("Code") == "ResourceNotFound",
          f"a batch statement's own error (got {responses[2]})")

    # ExecuteTransaction: all or nothing, with a reason per statement.
    client.execute_transaction(TransactStatements=[
        {"Statement": f"INSERT INTO {table} VALUE {{'pk': 'T', 'sk': 1}}"},
        {"Statement": f"EXISTS(SELECT * FROM {table} WHERE pk = 'P' AND sk = 2 AND tag = 'even')"},
    ])
    check(run(f"SELECT * FROM {table} WHERE pk = 'T' AND sk = 1")["Items"] != [], "the transaction applied")
    code, response = error_code(lambda: client.execute_transaction(TransactStatements=[
        {"Statement": f"INSERT INTO {table} VALUE {{'pk': 'T', 'sk': 2}}"},
        {"Statement": f"INSERT INTO {table} VALUE {{'pk': 'T', 'sk': 1}}"},
    ]))
    check(code == "TransactionCanceledException", f"a cancelled transaction (got {code})")
    reasons = [r["Code"] for r in response.get("CancellationReasons", [])]
    check(reasons == ["None", "DuplicateItem"], f"its reasons are [None, DuplicateItem] (got {reasons})")
    check(run(f"SELECT * FROM {table} WHERE pk = 'T' AND sk = 2")["Items"] == [],
          "the cancelled transaction wrote nothing")
    code, _ = error_code(lambda: run("SELECTT * FROMM x"))
    check(code == "ValidationException", f"a syntax error (got {code})")

    client.delete_table(TableName=name)


def signatures(config):
    """Who gets in on a server that requires signatures: the right key only; a wrong secret,
    an unknown key, a date 20 minutes old and a body changed after signing are refused."""
    endpoint = os.environ["DYNAMODB_MEMORY_SIGNED_ENDPOINT"]
    key = os.environ["SMOKE_SIGNED_KEY"]
    secret = os.environ["SMOKE_SIGNED_SECRET"]

    def client_with(key_id, secret_key):
        return boto3.client(
            "dynamodb",
            endpoint_url=endpoint,
            region_name="eu-central-1",
            aws_access_key_id=key_id,
            aws_secret_access_key=secret_key,
            config=config,
        )

    good = client_with(key, secret)
    name = f"smoke_boto3_signed_{uuid.uuid4().hex[:8]}"
    good.create_table(
        TableName=name,
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
    )
    good.put_item(TableName=name, Item={"pk": {"S": "ok"}})
    check(name in good.list_tables()["TableNames"], "the right key gets in")

    code, response = error_code(lambda: client_with(key, secret + "x").list_tables())
    check(code == "InvalidSignatureException", f"a wrong secret is refused (got {code})")
    check(response["ResponseMetadata"]["HTTPStatusCode"] == 400, "a refused signature is a 400")
    code, response = error_code(lambda: client_with("AKIDSMOKEUNKNOWN", secret).list_tables())
    check(code == "UnrecognizedClientException", f"an unknown key is refused (got {code})")
    check(response["Error"]["Message"] == "The security token included in the request is invalid.",
          f"an unknown key's message (got {response['Error']['Message']!r})")

    # A signed request changed on its way: the date set 20 minutes back, or the body replaced.
    def after_signing(change):
        c = client_with(key, secret)
        c.meta.events.register("before-send.dynamodb.PutItem", change)
        return c

    def old_date(request, **_):
        date = request.headers["X-Amz-Date"]
        sent = time.strptime(date.decode() if isinstance(date, bytes) else date, "%Y%m%dT%H%M%SZ")
        old = time.gmtime(calendar.timegm(sent) - 1200)
        request.headers["X-Amz-Date"] = time.strftime("%Y%m%dT%H%M%SZ", old)

    def other_body(request, **_):
        request.body = request.body.replace(b'"changed"', b'"CHANGED"')

    code, response = error_code(lambda: after_signing(old_date).put_item(
        TableName=name, Item={"pk": {"S": "late"}}))
    check(code == "InvalidSignatureException" and "Signature expired" in response["Error"]["Message"],
          f"a date 20 minutes old is refused as expired (got {code}: {response['Error']['Message']})")
    code, _ = error_code(lambda: after_signing(other_body).put_item(
        TableName=name, Item={"pk": {"S": "changed"}}))
    check(code == "InvalidSignatureException", f"a body changed after signing is refused (got {code})")
    items = good.scan(TableName=name)["Items"]
    check(items == [{"pk": {"S": "ok"}}], f"the refused requests wrote nothing (got {items})")
    good.delete_table(TableName=name)


if __name__ == "__main__":
    started = time.monotonic()
    try:
        main()
    except ClientError as e:
        print(f"smoke boto3: FAILED: unexpected error from the server: {e}", file=sys.stderr)
        sys.exit(1)
    except Exception as e:  # an SDK that rejects an answer raises something other than ClientError
        print(f"smoke boto3: FAILED: {type(e).__name__}: {e}", file=sys.stderr)
        sys.exit(1)
    print(f"smoke boto3: {time.monotonic() - started:.1f} s", file=sys.stderr)
