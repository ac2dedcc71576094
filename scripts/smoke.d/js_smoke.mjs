// Smoke test of dynamodb-memory with the AWS SDK for JavaScript v3: run by scripts/smoke.
//
// Needs DYNAMODB_MEMORY_ENDPOINT and SMOKE_NODE_DIR (where scripts/smoke installed
// @aws-sdk/client-dynamodb and @aws-sdk/lib-dynamodb). With DYNAMODB_MEMORY_SIGNED_ENDPOINT,
// SMOKE_SIGNED_KEY and SMOKE_SIGNED_SECRET (a server started with `--require-signature
// KEY:SECRET`) it also checks who gets in there. Prints `smoke js: N checks passed`, or a message
// naming the failed check and exits 1.

import { createRequire } from "node:module";
import path from "node:path";

const require = createRequire(path.join(process.env.SMOKE_NODE_DIR, "package.json"));
const ddb = require("@aws-sdk/client-dynamodb");
const lib = require("@aws-sdk/lib-dynamodb");
const { NumberValue } = require("@aws-sdk/lib-dynamodb");

const endpoint = process.env.DYNAMODB_MEMORY_ENDPOINT;
let checks = 0;

function check(ok, what) {
  if (!ok) {
    console.error(`smoke js: FAILED: ${what}`);
    process.exit(1);
  }
  checks += 1;
}

async function failure(promise) {
  try {
    await promise;
  } catch (e) {
    return e;
  }
  check(false, "the call succeeded where an error was expected");
}

const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

async function main() {
  const client = new ddb.DynamoDBClient({
    endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "fake", secretAccessKey: "fake" },
    maxAttempts: 1,
  });
  const doc = lib.DynamoDBDocumentClient.from(client, {
    unmarshallOptions: { wrapNumbers: true },
  });
  const name = `smoke_js_${Math.random().toString(16).slice(2, 10)}`;
  const send = (command) => client.send(command);

  // A table with a GSI.
  await send(
    new ddb.CreateTableCommand({
      TableName: name,
      AttributeDefinitions: [
        { AttributeName: "pk", AttributeType: "S" },
        { AttributeName: "sk", AttributeType: "S" },
        { AttributeName: "gpk", AttributeType: "S" },
        { AttributeName: "gsk", AttributeType: "N" },
      ],
      KeySchema: [
        { AttributeName: "pk", KeyType: "HASH" },
        { AttributeName: "sk", KeyType: "RANGE" },
      ],
      GlobalSecondaryIndexes: [
        {
          IndexName: "by_group",
          KeySchema: [
            { AttributeName: "gpk", KeyType: "HASH" },
            { AttributeName: "gsk", KeyType: "RANGE" },
          ],
          Projection: { ProjectionType: "ALL" },
        },
      ],
      BillingMode: "PAY_PER_REQUEST",
    }),
  );
  const described = (await send(new ddb.DescribeTableCommand({ TableName: name }))).Table;
  check(described.TableStatus === "ACTIVE", "the new table is ACTIVE");
  check(
    same((described.GlobalSecondaryIndexes ?? []).map((g) => g.IndexName), ["by_group"]),
    "DescribeTable lists the GSI by_group",
  );

  // Items: 40 under P#1, 5 under P#2, by BatchWriteItem (document client).
  const row = (pk, i) => ({
    pk,
    sk: `S#${String(i).padStart(3, "0")}`,
    gpk: `G#${i % 2}`,
    gsk: i,
    kind: i % 3 === 0 ? "keep" : "drop",
  });
  const rows = [...Array(40).keys()].map((i) => row("P#1", i));
  rows.push(...[...Array(5).keys()].map((i) => row("P#2", i)));
  for (let start = 0; start < rows.length; start += 25) {
    const answer = await doc.send(
      new lib.BatchWriteCommand({
        RequestItems: {
          [name]: rows.slice(start, start + 25).map((Item) => ({ PutRequest: { Item } })),
        },
      }),
    );
    check(
      Object.keys(answer.UnprocessedItems ?? {}).length === 0,
      "BatchWriteItem leaves nothing unprocessed",
    );
  }
  const count = (await send(new ddb.ScanCommand({ TableName: name, Select: "COUNT" }))).Count;
  check(count === 45, `a Scan counts the 45 items written (got ${count})`);

  // Query with a FilterExpression and a Limit, following LastEvaluatedKey to the end.
  let expected = [...Array(40).keys()]
    .filter((i) => i % 3 === 0)
    .map((i) => `S#${String(i).padStart(3, "0")}`);
  let seen = [];
  let pages = 0;
  let scanned = 0;
  let startKey;
  do {
    const page = await send(
      new ddb.QueryCommand({
        TableName: name,
        KeyConditionExpression: "pk = :p AND begins_with(sk, :s)",
        FilterExpression: "#k = :k",
        ExpressionAttributeNames: { "#k": "kind" },
        ExpressionAttributeValues: { ":p": { S: "P#1" }, ":s": { S: "S#" }, ":k": { S: "keep" } },
        Limit: 4,
        ExclusiveStartKey: startKey,
      }),
    );
    pages += 1;
    check(page.ScannedCount <= 4, "a page evaluates at most Limit items");
    check(page.Count === page.Items.length, "Count is the number of Items on a page");
    scanned += page.ScannedCount;
    seen.push(...page.Items.map((i) => i.sk.S));
    startKey = page.LastEvaluatedKey;
    if (startKey) {
      check(same(Object.keys(startKey).sort(), ["pk", "sk"]), "LastEvaluatedKey is the table's key");
    }
    check(pages < 100, "the query pages end");
  } while (startKey);
  check(same(seen, expected), `the filtered query's pages give every item once, in order: ${seen}`);
  check(new Set(seen).size === seen.length, "no item repeated across pages");
  check(scanned === 40, `the pages evaluated the 40 items of P#1 once each (got ${scanned})`);
  // DynamoDB may end on a page that reached its Limit with a LastEvaluatedKey, then an empty page.
  check(pages === 10 || pages === 11, `Limit 4 over 40 items makes 10 or 11 pages (got ${pages})`);

  // The GSI, descending, by pages of 3, through the document client's paginator.
  expected = [...[...Array(40).keys()].filter((i) => i % 2 === 0), 0, 2, 4].sort((a, b) => b - a);
  seen = [];
  const paginator = lib.paginateQuery(
    { client: doc, pageSize: 3 },
    {
      TableName: name,
      IndexName: "by_group",
      KeyConditionExpression: "gpk = :g",
      ExpressionAttributeValues: { ":g": "G#0" },
      ScanIndexForward: false,
    },
  );
  for await (const page of paginator) {
    check(page.Items.length <= 3, "a GSI page holds at most Limit items");
    seen.push(...page.Items.map((i) => [Number(i.gsk.toString()), i.pk, i.sk]));
  }
  check(same(seen.map((s) => s[0]), expected), "the GSI query's pages are in descending gsk order");
  check(
    new Set(seen.map((s) => s.join("|"))).size === 23 && seen.length === 23,
    `the GSI pages give 23 distinct items (got ${seen.length})`,
  );

  // TransactWriteItems: one that succeeds, one cancelled by its second action's condition.
  await send(
    new ddb.TransactWriteItemsCommand({
      TransactItems: [
        { Put: { TableName: name, Item: { pk: { S: "T#1" }, sk: { S: "A" } } } },
        {
          Update: {
            TableName: name,
            Key: { pk: { S: "P#1" }, sk: { S: "S#000" } },
            UpdateExpression: "SET n = :one",
            ConditionExpression: "attribute_exists(pk)",
            ExpressionAttributeValues: { ":one": { N: "1" } },
          },
        },
      ],
    }),
  );
  let got = await send(
    new ddb.GetItemCommand({ TableName: name, Key: { pk: { S: "T#1" }, sk: { S: "A" } } }),
  );
  check(got.Item !== undefined, "the successful transaction's Put is stored");
  got = await send(
    new ddb.GetItemCommand({ TableName: name, Key: { pk: { S: "P#1" }, sk: { S: "S#000" } } }),
  );
  check(same(got.Item.n, { N: "1" }), "the successful transaction's Update is applied");

  let e = await failure(
    send(
      new ddb.TransactWriteItemsCommand({
        TransactItems: [
          { Put: { TableName: name, Item: { pk: { S: "T#2" }, sk: { S: "A" } } } },
          {
            ConditionCheck: {
              TableName: name,
              Key: { pk: { S: "T#1" }, sk: { S: "A" } },
              ConditionExpression: "attribute_not_exists(pk)",
            },
          },
        ],
      }),
    ),
  );
  check(e instanceof ddb.TransactionCanceledException, `the cancelled transaction's error (got ${e.name})`);
  const reasons = (e.CancellationReasons ?? []).map((r) => r.Code);
  check(
    same(reasons, ["None", "ConditionalCheckFailed"]),
    `CancellationReasons are [None, ConditionalCheckFailed] (got ${reasons})`,
  );
  got = await send(
    new ddb.GetItemCommand({ TableName: name, Key: { pk: { S: "T#2" }, sk: { S: "A" } } }),
  );
  check(got.Item === undefined, "the cancelled transaction wrote nothing");

  // Exact 38-digit numbers: NumberValue in, wrapNumbers out.
  const numbers = {
    a: "12345678901234567890.123456789012345678",
    b: "99999999999999999999999999999999999999",
    c: "-0.00000000000000000000000000000000000001",
    d: "1E-130",
  };
  const item = { pk: "NUM", sk: "1" };
  for (const [k, v] of Object.entries(numbers)) item[k] = NumberValue.from(v);
  await doc.send(new lib.PutCommand({ TableName: name, Item: item }));
  const back = (await doc.send(new lib.GetCommand({ TableName: name, Key: { pk: "NUM", sk: "1" } })))
    .Item;
  for (const k of ["a", "b", "c"]) {
    check(back[k] instanceof NumberValue, `number ${k} reads back as a NumberValue`);
    check(back[k].toString() === numbers[k], `number ${k} reads back exactly (got ${back[k]})`);
  }
  check(
    back.d.toString() === "0." + "0".repeat(129) + "1",
    `the smallest number reads back exactly, in plain digits (got ${back.d})`,
  );
  const updated = await doc.send(
    new lib.UpdateCommand({
      TableName: name,
      Key: { pk: "NUM", sk: "1" },
      UpdateExpression: "SET a = a + :tiny",
      ExpressionAttributeValues: { ":tiny": NumberValue.from("0.000000000000000001") },
      ReturnValues: "UPDATED_NEW",
    }),
  );
  check(
    updated.Attributes.a.toString() === "12345678901234567890.123456789012345679",
    `38-digit arithmetic (got ${updated.Attributes.a})`,
  );
  e = await failure(
    send(
      new ddb.PutItemCommand({
        TableName: name,
        Item: { pk: { S: "NUM" }, sk: { S: "2" }, x: { N: "123456789012345678901234567890123456789" } },
      }),
    ),
  );
  check(e.name === "ValidationException", `a 39-digit number is refused (got ${e.name})`);

  // A conditional put that fails.
  e = await failure(
    send(
      new ddb.PutItemCommand({
        TableName: name,
        Item: { pk: { S: "T#1" }, sk: { S: "A" }, v: { S: "new" } },
        ConditionExpression: "attribute_not_exists(pk)",
        ReturnValuesOnConditionCheckFailure: "ALL_OLD",
      }),
    ),
  );
  check(
    e instanceof ddb.ConditionalCheckFailedException,
    `a failed conditional put's error (got ${e.name})`,
  );
  check(
    same(e.Item, { pk: { S: "T#1" }, sk: { S: "A" } }),
    `the failed conditional put returns the stored item (got ${JSON.stringify(e.Item)})`,
  );
  check(e.$metadata.httpStatusCode === 400, "a condition failure is a 400");
  check(typeof e.$metadata.requestId === "string" && e.$metadata.requestId.length > 0,
    "the answer carries a request id");
  got = await send(
    new ddb.GetItemCommand({ TableName: name, Key: { pk: { S: "T#1" }, sk: { S: "A" } } }),
  );
  check(got.Item.v === undefined, "the failed conditional put changed nothing");

  await send(new ddb.DeleteTableCommand({ TableName: name }));
  e = await failure(send(new ddb.DescribeTableCommand({ TableName: name })));
  check(e instanceof ddb.ResourceNotFoundException, `the deleted table is gone (got ${e.name})`);
  client.destroy();
  if (process.env.DYNAMODB_MEMORY_SIGNED_ENDPOINT) {
    await signatures();
  }
  console.log(`smoke js: ${checks} checks passed`);
}

// Who gets in on a server that requires signatures: the right key only; a wrong secret, an
// unknown key, a clock 20 minutes behind and a body changed after signing are refused.
async function signatures() {
  const endpoint = process.env.DYNAMODB_MEMORY_SIGNED_ENDPOINT;
  const key = process.env.SMOKE_SIGNED_KEY;
  const secret = process.env.SMOKE_SIGNED_SECRET;
  const clientWith = (accessKeyId, secretAccessKey, extra = {}) =>
    new ddb.DynamoDBClient({
      endpoint,
      region: "ap-southeast-2",
      credentials: { accessKeyId, secretAccessKey },
      maxAttempts: 1,
      ...extra,
    });
  const good = clientWith(key, secret);
  const name = `smoke_js_signed_${Math.random().toString(16).slice(2, 10)}`;
  await good.send(
    new ddb.CreateTableCommand({
      TableName: name,
      AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }],
      KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
      BillingMode: "PAY_PER_REQUEST",
    }),
  );
  await good.send(new ddb.PutItemCommand({ TableName: name, Item: { pk: { S: "ok" } } }));
  const listed = await good.send(new ddb.ListTablesCommand({}));
  check(listed.TableNames.includes(name), "the right key gets in");

  const refused = async (client, command, code, what) => {
    const e = await failure(client.send(command));
    check(e.name === code, `${what} is refused with ${code} (got ${e.name}: ${e.message})`);
    check(e.$metadata.httpStatusCode === 400, `${what} is a 400`);
    client.destroy();
    return e;
  };
  await refused(clientWith(key, `${secret}x`), new ddb.ListTablesCommand({}),
    "InvalidSignatureException", "a wrong secret");
  const e = await refused(clientWith("AKIDSMOKEUNKNOWN", secret), new ddb.ListTablesCommand({}),
    "UnrecognizedClientException", "an unknown key");
  check(e.message === "The security token included in the request is invalid.",
    `an unknown key's message (got ${e.message})`);
  // A client whose clock is 20 minutes behind signs with an expired date (without retries, it
  // does not correct its clock from the answer).
  const late = clientWith(key, secret, { systemClockOffset: -20 * 60 * 1000 });
  const expired = await refused(late,
    new ddb.PutItemCommand({ TableName: name, Item: { pk: { S: "late" } } }),
    "InvalidSignatureException", "a date 20 minutes old");
  check(expired.message.startsWith("Signature expired"),
    `the late request is refused as expired (got ${expired.message})`);
  // A body changed after signing (middleware at the end of the stack, past the signer).
  const tampered = clientWith(key, secret);
  tampered.middlewareStack.addRelativeTo(
    (next) => async (args) => {
      const body = args.request.body;
      const text = typeof body === "string" ? body : new TextDecoder().decode(body);
      args.request.body = text.replace('"changed"', '"CHANGED"');
      return next(args);
    },
    { relation: "after", toMiddleware: "awsAuthMiddleware", name: "smokeTamper" },
  );
  await refused(tampered,
    new ddb.PutItemCommand({ TableName: name, Item: { pk: { S: "changed" } } }),
    "InvalidSignatureException", "a body changed after signing");
  const scan = await good.send(new ddb.ScanCommand({ TableName: name }));
  check(same(scan.Items, [{ pk: { S: "ok" } }]),
    `the refused requests wrote nothing (got ${JSON.stringify(scan.Items)})`);
  await good.send(new ddb.DeleteTableCommand({ TableName: name }));
  good.destroy();
}

const started = Date.now();
main().then(
  () => console.error(`smoke js: ${((Date.now() - started) / 1000).toFixed(1)} s`),
  (e) => {
    console.error(`smoke js: FAILED: ${e?.name ?? "error"}: ${e?.message ?? e}`);
    process.exit(1);
  },
);
