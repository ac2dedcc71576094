// The browser view of dynamodb-memory (`--ui`) in headless Chromium, driven by playwright-core.
// Run by scripts/ui-browser, which starts the server, writes the sample table (UI_TABLE) through
// the ORM and sets: UI_ENDPOINT, UI_TABLE, UI_NODE_DIR (where playwright-core is installed),
// UI_CHROMIUM (the browser), UI_USER_DATA_DIR (a fresh profile), UI_SCREENSHOTS (a directory).
//
// It writes hostile content through the wire, then reads every kind of page as a user would,
// clicking links and filling in the query form, and checks what the page shows and that nothing
// stored became markup: no <script> or injected element in the DOM, no dialog, no page error.
import { createRequire } from 'node:module';
import { mkdirSync } from 'node:fs';
import path from 'node:path';

const need = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set (run scripts/ui-browser)`);
  return value;
};
const endpoint = need('UI_ENDPOINT');
const tableName = need('UI_TABLE');
const screenshots = need('UI_SCREENSHOTS');
const require = createRequire(path.join(need('UI_NODE_DIR'), 'package.json'));
const { chromium } = require('playwright-core');

let checks = 0;
function check(condition, message) {
  if (!condition) throw new Error(`check failed: ${message}`);
  checks += 1;
}

// One DynamoDB operation over the wire (the server accepts unsigned requests by default).
async function dynamodb(operation, body) {
  const response = await fetch(endpoint, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-amz-json-1.0',
      'X-Amz-Target': `DynamoDB_20120810.${operation}`,
    },
    body: JSON.stringify(body),
  });
  const answer = await response.json();
  if (response.status !== 200) throw new Error(`${operation}: ${JSON.stringify(answer)}`);
  return answer;
}

// Hostile content, through the wire, into the sample table.
const SCRIPT_VALUE = '</td><script>alert(1)</script>';
const MARKUP_KEY = 'CUSTOMER#<img src=x onerror=alert(2)>';
await dynamodb('PutItem', {
  TableName: tableName,
  Item: {
    pk: { S: MARKUP_KEY },
    sk: { S: 'PROFILE' },
    '<script>': { S: SCRIPT_VALUE },
    name: { S: '"><iframe src=javascript:alert(3)>' },
    note: { S: "' onmouseover='alert(4)" },
  },
});
// A 400 KB item: DynamoDB's limit counts names and values; this one is 2 bytes under it.
const BIG_BYTES = 400 * 1024 - 'pk'.length - 'PRODUCT#BIG'.length - 'sk'.length - 'PRODUCT'.length -
  'description'.length - 2;
await dynamodb('PutItem', {
  TableName: tableName,
  Item: {
    pk: { S: 'PRODUCT#BIG' },
    sk: { S: 'PRODUCT' },
    description: { S: 'lorem ipsum '.repeat(BIG_BYTES / 12 + 1).slice(0, BIG_BYTES) },
  },
});

mkdirSync(screenshots, { recursive: true });
mkdirSync(need('UI_USER_DATA_DIR'), { recursive: true });
const context = await chromium.launchPersistentContext(need('UI_USER_DATA_DIR'), {
  executablePath: need('UI_CHROMIUM'),
  headless: true,
  viewport: { width: 1280, height: 860 },
  args: [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
  ],
});
const troubles = [];
const page = context.pages()[0] ?? (await context.newPage());
try {
  page.on('dialog', (dialog) => {
    troubles.push(`a ${dialog.type()} dialog opened: ${dialog.message()}`);
    dialog.dismiss().catch(() => {});
  });
  page.on('pageerror', (error) => troubles.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') troubles.push(`console error: ${message.text()}`);
  });
  // Only the server's own address is ever requested.
  page.on('request', (request) => {
    if (!request.url().startsWith(endpoint)) troubles.push(`request outside the server: ${request.url()}`);
  });

  // What every page must hold: no script, no injected element, the stylesheet only inline.
  async function clean(where) {
    const found = await page.evaluate(() => ({
      scripts: document.querySelectorAll('script').length,
      injected: document.querySelectorAll('img, iframe, object, embed, svg, [onerror], [onmouseover]').length,
      title: document.title,
    }));
    check(found.scripts === 0, `${where}: ${found.scripts} <script> element(s) in the DOM`);
    check(found.injected === 0, `${where}: ${found.injected} injected element(s) in the DOM`);
    check(found.title.endsWith('- dynamodb-memory'), `${where}: the title is ${found.title}`);
    check(troubles.length === 0, `${where}: ${troubles.join('; ')}`);
  }
  const text = (selector) => page.locator(selector).allInnerTexts();

  // 1. The tables page.
  const response = await page.goto(`${endpoint}/ui`);
  check(response.status() === 200, `/ui answered ${response.status()}`);
  check((response.headers()['content-security-policy'] ?? '').startsWith("default-src 'none'"),
    'the view is sent with a CSP that forbids scripts');
  await clean('the tables page');
  const row = page.locator('table tr', { has: page.locator(`a:text-is("${tableName}")`) });
  check((await row.count()) === 1, `the tables page lists ${tableName}`);
  const cells = await row.locator('td').allInnerTexts();
  check(Number(cells[1]) > 200, `the item count of ${tableName}: ${cells[1]}`);
  check(cells[3].includes('gsi1'), `the indexes of ${tableName}: ${cells[3]}`);
  // The page is short: the picture is cut below its content.
  const bottom = await page.evaluate(() => document.querySelector('main').getBoundingClientRect().bottom);
  await page.screenshot({
    path: path.join(screenshots, 'ui-tables.png'),
    clip: { x: 0, y: 0, width: 1280, height: Math.ceil(bottom) + 16 },
  });

  // 2. A table's items, by partition, every page of them: the hostile items as text, the 400 KB
  // item cut in the list.
  await page.click(`a:text-is("${tableName}")`);
  await page.waitForLoadState();
  check((await page.locator('h1').innerText()) === `Table ${tableName}`, 'the table page heading');
  await page.screenshot({ path: path.join(screenshots, 'ui-table.png') });
  const partitions = [];
  const headers = new Set();
  const values = [];
  let items = 0;
  let tablePages = 0;
  for (;;) {
    tablePages += 1;
    await clean(`the table page ${tablePages}`);
    const onPage = await text('tr.partition td');
    check(onPage.length >= 1, `page ${tablePages} groups its items by partition`);
    partitions.push(...onPage);
    for (const h of await text('table.items th')) headers.add(h);
    values.push(...(await text('table.items td.v')));
    const summary = await page.locator('p', { hasText: 'items on this page' }).innerText();
    items += Number(summary.split(' ')[0]);
    const tableBox = await page.locator('table.items').boundingBox();
    check(tableBox.width < 4000, `the item list stays readable (${tableBox.width}px wide)`);
    if ((await page.locator('a:text-is("Next page")').count()) === 0) break;
    await page.click('a:text-is("Next page")');
    await page.waitForLoadState();
  }
  check(tablePages > 1, `the table's items span pages (${tablePages})`);
  check(items === Number(cells[1]), `the pages show every item: ${items} of ${cells[1]}`);
  check(partitions.some((p) => p.startsWith('partition pk = S CUSTOMER#c1 (')), `Ada's partition: ${partitions}`);
  check(headers.has('<script>'), `the attribute named <script> is a column, as text: ${[...headers]}`);
  check(values.includes(`S ${SCRIPT_VALUE}`), 'the value </td><script>... is shown as text');
  check(partitions.some((p) => p.includes(`S ${MARKUP_KEY}`)), 'the key with markup is shown as text');
  const big = values.find((v) => v.startsWith('S lorem ipsum'));
  check(big !== undefined && /… \(\d+ bytes in all\)$/.test(big) && big.length < 200,
    `the 400 KB value is cut in the list, saying its size: ${big?.slice(-40)}`);

  // 3. The 400 KB item in full: its page holds all of it and still renders.
  await page.goto(`${endpoint}/ui/item?table=${tableName}&key=${encodeURIComponent(
    JSON.stringify({ pk: { S: 'PRODUCT#BIG' }, sk: { S: 'PRODUCT' } }))}`);
  await clean('the 400 KB item page');
  const shownBytes = await page.locator('pre').evaluate((pre) => pre.textContent.length);
  check(shownBytes > BIG_BYTES, `the 400 KB item page shows all of it (${shownBytes} characters)`);

  // 4. An index's contents, from the table page's link.
  await page.goto(`${endpoint}/ui/table?table=${tableName}`);
  await page.click('table:first-of-type a:text-is("gsi1")');
  await page.waitForLoadState();
  await clean('the index page');
  check((await page.locator('h2', { hasText: 'Items of index gsi1' }).count()) === 1, 'the index heading');
  const indexPartitions = await text('tr.partition td');
  while ((await page.locator('a:text-is("Next page")').count()) === 1) {
    await page.click('a:text-is("Next page")');
    await page.waitForLoadState();
    await clean('the index page, a next page');
    indexPartitions.push(...(await text('tr.partition td')));
  }
  check(indexPartitions.some((p) => p.startsWith('partition gsi1pk = S STATUS#PLACED')) &&
    indexPartitions.some((p) => p.startsWith('partition gsi1pk = S STATUS#SHIPPED')),
  `the index's partitions: ${indexPartitions}`);
  const indexHeaders = await text('table.items th');
  check(!indexHeaders.includes('<script>'), 'only the items in the index (orders) are in it');

  // 5. The query form: a key condition and a filter, submitted; the rows checked against the
  // same Query over the wire; the next page followed.
  await page.goto(`${endpoint}/ui/table?table=${tableName}`);
  await page.click('a:text-is("Query or scan this table")');
  await page.waitForLoadState();
  await clean('the query form');
  const keyCondition = 'pk = :pk AND begins_with(sk, :order)';
  // `total` is one of DynamoDB's reserved words: the filter names it through a placeholder.
  const filter = '#total > :min';
  const names = { '#total': 'total' };
  const values_ = { ':pk': 'CUSTOMER#c1', ':order': 'ORDER#', ':min': 4000 };
  await page.fill('input[name=key_condition]', keyCondition);
  await page.fill('input[name=filter]', filter);
  await page.fill('input[name=names]', JSON.stringify(names));
  await page.fill('textarea[name=values]', JSON.stringify(values_));
  await page.click('button[type=submit]');
  await page.waitForLoadState();
  await clean('the query answer');
  check((await page.locator('h2:text-is("Query")').count()) === 1, 'the form ran a Query');
  check((await page.locator('p.error').count()) === 0, 'the query ran without error');
  check((await page.inputValue('input[name=filter]')) === filter, 'the form keeps the filter');
  const expected = [];
  let start;
  do {
    const answer = await dynamodb('Query', {
      TableName: tableName,
      KeyConditionExpression: keyCondition,
      FilterExpression: filter,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: { ':pk': { S: 'CUSTOMER#c1' }, ':order': { S: 'ORDER#' }, ':min': { N: '4000' } },
      ...(start ? { ExclusiveStartKey: start } : {}),
    });
    expected.push(...answer.Items.map((item) => item.sk.S));
    start = answer.LastEvaluatedKey;
  } while (start);
  check(expected.length > 0, 'the query matches some orders');
  async function shownRows() {
    const columns = await text('table.items th');
    const at = (name) => columns.indexOf(name);
    const rows = await page.locator('table.items tr:not(.partition)').evaluateAll((trs) =>
      trs.slice(1).map((tr) => Array.from(tr.querySelectorAll('td')).map((td) => td.textContent)));
    return rows.map((cells) => ({ sk: cells[at('sk')], total: cells[at('total')] }));
  }
  const firstPage = await shownRows();
  check(firstPage.length > 0, 'the first page of the answer has rows');
  for (const { sk, total } of firstPage) {
    check(sk.startsWith('S ORDER#'), `a row outside the key condition: ${sk}`);
    check(Number(total.replace(/^N /, '')) > 4000, `a row the filter should have dropped: ${sk} ${total}`);
  }
  const summary = await page.locator('p', { hasText: 'items on this page' }).innerText();
  check(summary.includes(`${firstPage.length} items on this page (50 scanned)`), `the first page: ${summary}`);
  await page.screenshot({ path: path.join(screenshots, 'ui-query.png') });
  check((await page.locator('a:text-is("Next page")').count()) === 1, 'the answer has a next page');
  await page.click('a:text-is("Next page")');
  await page.waitForLoadState();
  await clean('the query answer, page 2');
  check((await page.inputValue('input[name=key_condition]')) === keyCondition, 'page 2 keeps the key condition');
  const secondPage = await shownRows();
  const shown = [...firstPage, ...secondPage].map((r) => r.sk.replace(/^S /, ''));
  check(JSON.stringify(shown) === JSON.stringify(expected),
    `the two pages show exactly the Query's items: ${shown.length} shown, ${expected.length} expected`);

  // 6. The stream: shards, and records with their event names, keys and images.
  await page.goto(`${endpoint}/ui/table?table=${tableName}`);
  await page.click('a:text-is("shards and records")');
  await page.waitForLoadState();
  await clean('the stream page');
  check((await page.locator('h2:text-is("Shards")').count()) === 1, 'the stream page lists shards');
  const events = new Set();
  let streamPages = 0;
  let sawScriptValue = false;
  for (;;) {
    streamPages += 1;
    for (const e of await text('table.records td.event')) events.add(e);
    const images = await text('table.records td.v');
    sawScriptValue ||= images.some((i) => i.includes(`<script>: S ${SCRIPT_VALUE}`));
    if (streamPages === 1) await page.screenshot({ path: path.join(screenshots, 'ui-stream.png') });
    if ((await page.locator('a:text-is("Next page")').count()) === 0) break;
    await page.click('a:text-is("Next page")');
    await page.waitForLoadState();
    await clean(`the stream page ${streamPages + 1}`);
  }
  check(streamPages > 1, `the stream's records span pages (${streamPages})`);
  for (const e of ['INSERT', 'MODIFY', 'REMOVE']) check(events.has(e), `the stream shows ${e} records`);
  check(sawScriptValue, 'the hostile value is shown as text in its stream record');

  // A multi-attribute index (customerStatus: customer and status, sorted by placed_at): its
  // partitions are named by both attributes.
  await page.goto(`${endpoint}/ui/table?table=${tableName}`);
  await page.click('table:first-of-type a:text-is("customerStatus")');
  await page.waitForLoadState();
  await clean('the multi-attribute index page');
  const multi = await text('tr.partition td');
  check(multi.some((p) => p.startsWith('partition customer = S c1, status = S PLACED (')) &&
    multi.some((p) => p.startsWith('partition customer = S c1, status = S SHIPPED (')),
  `the multi-attribute index's partitions: ${multi}`);
  await page.screenshot({ path: path.join(screenshots, 'ui-index.png') });
  check(troubles.length === 0, troubles.join('; '));
} catch (error) {
  // Where it failed: the page's address and the start of its text.
  const shown = await page.evaluate(() => document.body?.innerText ?? '').catch(() => '');
  console.error(`ui-browser: at ${page.url()}:\n${shown.slice(0, 1500)}`);
  throw error;
} finally {
  await context.close();
}
console.log(`ui-browser: ${checks} checks passed`);
