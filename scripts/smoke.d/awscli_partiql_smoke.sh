#!/usr/bin/env bash
# PartiQL smoke test of dynamodb-memory with the AWS CLI (v1, from PyPI): run by scripts/smoke
# after the boto3 tests, with the CLI installed in their virtualenv.
#
# Needs DYNAMODB_MEMORY_ENDPOINT and SMOKE_AWS (the `aws` program), fake credentials and region
# (set by scripts/smoke). Prints `smoke aws-cli PartiQL: N checks passed`, or names the failed
# check and exits 1.
set -euo pipefail
: "${DYNAMODB_MEMORY_ENDPOINT:?}" "${SMOKE_AWS:?}"
aws() { "$SMOKE_AWS" --endpoint-url "$DYNAMODB_MEMORY_ENDPOINT" --output json dynamodb "$@"; }
checks=0
fail() { printf 'smoke aws-cli PartiQL: FAILED: %s\n' "$*" >&2; exit 1; }
# expect WHAT JSON PYTHON-EXPRESSION: the expression (over `j`, the parsed JSON) must be true.
expect() {
    python3 -c 'import json, sys; j = json.loads(sys.argv[1]); sys.exit(0 if eval(sys.argv[2]) else 1)' \
        "$2" "$3" || fail "$1: $2"
    checks=$((checks + 1))
}

table="smoke_cli_$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')"
aws create-table --table-name "$table" --billing-mode PAY_PER_REQUEST \
    --attribute-definitions AttributeName=pk,AttributeType=S \
    --key-schema AttributeName=pk,KeyType=HASH >/dev/null
trap 'aws delete-table --table-name "$table" >/dev/null 2>&1 || true' EXIT

out=$(aws execute-statement --statement "INSERT INTO \"$table\" VALUE {'pk': 'a', 'n': 1, 'tags': <<'x'>>}")
expect "an INSERT answers no items" "$out" 'j == {"Items": []}'
out=$(aws execute-statement --statement "SELECT n, tags FROM \"$table\" WHERE pk = ?" \
    --parameters '[{"S": "a"}]')
expect "a SELECT with a parameter" "$out" 'j["Items"] == [{"n": {"N": "1"}, "tags": {"SS": ["x"]}}]'
if err=$(aws execute-statement --statement "INSERT INTO \"$table\" VALUE {'pk': 'a'}" 2>&1); then
    fail "a second INSERT of one key succeeded"
fi
[[ "$err" == *DuplicateItemException*"Duplicate primary key exists in table"* ]] ||
    fail "a second INSERT of one key: $err"
checks=$((checks + 1))

out=$(aws batch-execute-statement --statements "[
    {\"Statement\": \"UPDATE \\\"$table\\\" SET n = n + 1 WHERE pk = 'a'\"},
    {\"Statement\": \"INSERT INTO \\\"$table\\\" VALUE {'pk': 'b'}\"}]")
expect "a batch of writes" "$out" '[r.get("Error") for r in j["Responses"]] == [None, None]'
out=$(aws execute-transaction --transact-statements "[
    {\"Statement\": \"EXISTS(SELECT * FROM \\\"$table\\\" WHERE pk = 'a' AND n = 2)\"},
    {\"Statement\": \"DELETE FROM \\\"$table\\\" WHERE pk = 'b'\"}]")
expect "a transaction" "$out" 'len(j["Responses"]) == 2'
out=$(aws execute-statement --statement "SELECT pk FROM \"$table\"")
expect "the transaction's delete and the batch's update" "$out" 'j["Items"] == [{"pk": {"S": "a"}}]'
echo "smoke aws-cli PartiQL: $checks checks passed"
