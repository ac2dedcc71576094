"""PartiQL smoke test of dynamodb-memory with boto3 (execute_statement, batch_execute_statement,
execute_transaction): run by scripts/smoke after boto3_smoke.py.

Needs DYNAMODB_MEMORY_ENDPOINT (and fake credentials, region us-east-1, set by scripts/smoke).
Prints `smoke boto3 PartiQL: N checks passed`, or a message naming the failed check and exits 1.
"""

import os
import sys
import time
import uuid

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

ENDPOINT = os.environ["DYNAMODB_MEMORY_ENDPOINT"]
checks = 0


def check(ok, what):
    """Counts one check; exits with `what` when it fails."""
    global checks
    if not ok:
        print(f"smoke boto3 PartiQL: FAILED: {what}", file=sys.stderr)
        sys.exit(1)
    checks += 1


def error_of(call):
    """Runs `call`, which must fail with a ClientError; returns (code, response)."""
    try:
        call()
    except ClientError as e:
        return e.response["Error"]["Code"], e.response
    check(False, "the call succeeded where an error was expected")
    return None, None


def main():
    client = boto3.client(
        "dynamodb",
        endpoint_url=ENDPOINT,
        region_name="us-east-1",
        aws_access_key_id="fake",
        aws_secret_access_key="fake",
        config=Config(retries={"max_attempts": 1}, connect_timeout=5, read_timeout=10),
    )
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
    code, response = error_of(lambda: run(f"INSERT INTO {table} VALUE {{'pk': 'P', 'sk': 3}}"))
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
    code, _ = error_of(lambda: run(f"UPDATE {table} SET x = 1 WHERE pk = 'P' AND sk = 1 AND tag = 'even'"))
    check(code == "ConditionalCheckFailedException", f"a WHERE condition that fails (got {code})")
    code, response = error_of(lambda: run(f"DELETE FROM {table} WHERE pk = 'P'"))
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
    code, response = error_of(lambda: client.execute_transaction(TransactStatements=[
        {"Statement": f"INSERT INTO {table} VALUE {{'pk': 'T', 'sk': 2}}"},
        {"Statement": f"INSERT INTO {table} VALUE {{'pk': 'T', 'sk': 1}}"},
    ]))
    check(code == "TransactionCanceledException", f"a cancelled transaction (got {code})")
    reasons = [r["Code"] for r in response.get("CancellationReasons", [])]
    check(reasons == ["None", "DuplicateItem"], f"its reasons are [None, DuplicateItem] (got {reasons})")
    check(run(f"SELECT * FROM {table} WHERE pk = 'T' AND sk = 2")["Items"] == [],
          "the cancelled transaction wrote nothing")
    code, _ = error_of(lambda: run("SELECTT * FROMM x"))
    check(code == "ValidationException", f"a syntax error (got {code})")

    client.delete_table(TableName=name)
    print(f"smoke boto3 PartiQL: {checks} checks passed")


if __name__ == "__main__":
    started = time.monotonic()
    try:
        main()
    except ClientError as e:
        print(f"smoke boto3 PartiQL: FAILED: unexpected error from the server: {e}", file=sys.stderr)
        sys.exit(1)
    except Exception as e:  # an SDK that rejects an answer raises something other than ClientError
        print(f"smoke boto3 PartiQL: FAILED: {type(e).__name__}: {e}", file=sys.stderr)
        sys.exit(1)
    print(f"smoke boto3 PartiQL: {time.monotonic() - started:.1f} s", file=sys.stderr)
