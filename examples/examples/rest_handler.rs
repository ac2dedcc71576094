//! A REST-style handler persisting API objects (pymacaron-dynamodb's use case): the object the
//! API receives and returns is the model itself, and the ORM's errors map onto HTTP statuses.
//!
//! | request                     | ORM call                                  | statuses           |
//! |-----------------------------|-------------------------------------------|--------------------|
//! | `POST /pets` (JSON body)    | `pet.create(&table)`                      | 201, 409, 400      |
//! | `GET /pets/{id}`            | `Pet::get(&table, key)`                   | 200, 404           |
//! | `HEAD /pets/{id}`           | `Pet::exists(&table, key)`                | 200, 404           |
//! | `PUT /pets/{id}` + If-Match | `pet.save(&table)` (optimistic locking)   | 200, 412, 404, 400 |
//! | `PATCH /pets/{id}`          | `Pet::update(..).set(..)`                 | 200, 404           |
//! | `DELETE /pets/{id}`         | `Pet::delete_key(&table, key)`            | 204, 404           |
//! | `GET /pets?cursor=..`       | `Pet::query(..).limit(n).cursor(c)`       | 200, 400           |
//!
//! No web framework is needed to show it: requests are simulated as plain values.
//!
//! ```text
//! cargo run --example rest_handler
//! DYNAMODB_ENDPOINT=http://127.0.0.1:8000 cargo run --example rest_handler
//! ```

use orm_core::{Cursor, Error, Model, ModelExt, Table};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value as Json};

/// The API object, stored as it is. All pets live in one partition (`PETS`), sorted by id, so
/// that they can be listed page by page; the version travels as the HTTP `ETag`.
#[derive(Model, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[model(entity = "Pet", pk = "PETS", sk = "PET#{id}")]
struct Pet {
    id: String,
    name: String,
    species: String,
    #[serde(default)]
    tags: Vec<String>,
    #[model(version)]
    #[serde(default)]
    version: u64,
}

/// A simulated HTTP request.
#[derive(Debug)]
enum Request<'a> {
    Post(Json),
    Get(&'a str),
    Head(&'a str),
    Put {
        id: &'a str,
        if_match: u64,
        body: Json,
    },
    Patch(&'a str, Json),
    Delete(&'a str),
    List {
        limit: usize,
        cursor: Option<String>,
    },
}

/// A simulated HTTP response.
#[derive(Debug)]
struct Response {
    status: u16,
    body: Json,
}

fn ok(status: u16, body: impl Serialize) -> Response {
    Response {
        status,
        body: serde_json::to_value(body).expect("serializable"),
    }
}

/// The one place errors become statuses.
fn error_response(e: Error) -> Response {
    let status = match &e {
        Error::NotFound { .. } => 404,
        Error::AlreadyExists { .. } => 409,
        Error::VersionConflict { .. } | Error::ConditionFailed { .. } => 412,
        Error::Validation { .. }
        | Error::ServiceValidation { .. }
        | Error::InvalidCursor { .. }
        | Error::Serde { .. } => 400,
        Error::Throttled { .. } => 503,
        _ => 500,
    };
    ok(status, json!({ "error": e.to_string() }))
}

/// Parses a request body into the API object.
fn parse<T: serde::de::DeserializeOwned>(body: Json) -> Result<T, Error> {
    serde_json::from_value(body).map_err(|e| Error::validation(format!("bad body: {e}")))
}

async fn handle(table: &Table, request: Request<'_>) -> Response {
    let result = async {
        match request {
            Request::Post(body) => {
                let mut pet: Pet = parse(body)?;
                pet.version = 0;
                pet.create(table).await?;
                Ok(ok(201, &pet))
            }
            Request::Get(id) => Ok(ok(200, Pet::get(table, Pet::key(id)).await?)),
            Request::Head(id) => Ok(if Pet::exists(table, Pet::key(id)).await? {
                ok(200, Json::Null)
            } else {
                ok(404, Json::Null)
            }),
            Request::Put { id, if_match, body } => {
                let mut pet: Pet = parse(body)?;
                if pet.id != id {
                    return Err(Error::validation(
                        "the id in the body is not the id in the path",
                    ));
                }
                if !Pet::exists(table, Pet::key(id)).await? {
                    return Err(Error::not_found(Pet::schema().entity, Pet::key(id)?));
                }
                // The client's copy is the version it read: a concurrent change makes this a 412.
                pet.version = if_match;
                pet.save(table).await?;
                Ok(ok(200, &pet))
            }
            Request::Patch(id, body) => {
                let patch: PetPatch = parse(body)?;
                let mut update = Pet::update(table, Pet::key(id)).returning_new();
                if let Some(name) = patch.name {
                    update = update.set("name", name);
                }
                if let Some(tag) = patch.add_tag {
                    update = update.append("tags", vec![tag]);
                }
                Ok(ok(200, update.await?))
            }
            Request::Delete(id) => match Pet::delete_key(table, Pet::key(id)).await? {
                Some(_) => Ok(ok(204, Json::Null)),
                None => Ok(ok(404, Json::Null)),
            },
            Request::List { limit, cursor } => {
                let cursor = cursor.as_deref().map(str::parse::<Cursor>).transpose()?;
                let page = Pet::query(table)
                    .partition(Pet::partition())
                    .limit(limit)
                    .cursor(cursor)
                    .paginate()
                    .await?;
                Ok(ok(
                    200,
                    json!({ "items": page.items, "next": page.cursor.map(|c| c.to_string()) }),
                ))
            }
        }
    }
    .await;
    result.unwrap_or_else(error_response)
}

/// The fields a PATCH may change.
#[derive(Deserialize)]
struct PetPatch {
    name: Option<String>,
    add_tag: Option<String>,
}

/// Sends `request`, prints the exchange and checks the status.
async fn expect(table: &Table, request: Request<'_>, status: u16) -> Json {
    let line = format!("{request:?}");
    let response = handle(table, request).await;
    println!("{line:.70} -> {} {}", response.status, response.body);
    assert_eq!(response.status, status, "{line}: {:?}", response.body);
    response.body
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let table = orm_examples::table(&orm_examples::unique_name("pets")).await?;
    println!("backend: {}", orm_examples::backend_name());
    table.create_table::<Pet>().await?;

    let rex = json!({ "id": "rex", "name": "Rex", "species": "dog" });
    let created = expect(&table, Request::Post(rex.clone()), 201).await;
    assert_eq!(created["version"], 1);
    expect(&table, Request::Post(rex), 409).await;
    expect(&table, Request::Post(json!({ "id": "x" })), 400).await;
    for (id, name) in [("tom", "Tom"), ("kit", "Kit"), ("bo", "Bo")] {
        expect(
            &table,
            Request::Post(json!({ "id": id, "name": name, "species": "cat" })),
            201,
        )
        .await;
    }

    let got = expect(&table, Request::Get("rex"), 200).await;
    assert_eq!(got["name"], "Rex");
    expect(&table, Request::Get("nobody"), 404).await;
    expect(&table, Request::Head("rex"), 200).await;
    expect(&table, Request::Head("nobody"), 404).await;

    // Two clients read version 1; the first PUT wins, the second gets 412 and must re-read.
    let body = |name: &str| json!({ "id": "rex", "name": name, "species": "dog" });
    let put = |name, if_match| Request::Put {
        id: "rex",
        if_match,
        body: body(name),
    };
    let saved = expect(&table, put("Rex the First", 1), 200).await;
    assert_eq!(saved["version"], 2);
    expect(&table, put("Rex the Stale", 1), 412).await;
    expect(&table, put("Rex the Second", 2), 200).await;
    expect(
        &table,
        Request::Put {
            id: "ghost",
            if_match: 1,
            body: json!({ "id": "ghost", "name": "G", "species": "?" }),
        },
        404,
    )
    .await;

    let patched = expect(
        &table,
        Request::Patch("rex", json!({ "add_tag": "good boy" })),
        200,
    )
    .await;
    assert_eq!(patched["tags"], json!(["good boy"]));
    assert_eq!(patched["name"], "Rex the Second");
    expect(
        &table,
        Request::Patch("nobody", json!({ "name": "N" })),
        404,
    )
    .await;

    // Listing, two per page, following `next` as a client would.
    let mut cursor = None;
    let mut ids = Vec::new();
    loop {
        let page = expect(&table, Request::List { limit: 2, cursor }, 200).await;
        ids.extend(
            page["items"]
                .as_array()
                .expect("items")
                .iter()
                .map(|p| p["id"].as_str().unwrap_or_default().to_owned()),
        );
        match page["next"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(ids, ["bo", "kit", "rex", "tom"]);
    expect(
        &table,
        Request::List {
            limit: 2,
            cursor: Some("garbage".into()),
        },
        400,
    )
    .await;

    expect(&table, Request::Delete("tom"), 204).await;
    expect(&table, Request::Delete("tom"), 404).await;
    expect(&table, Request::Get("tom"), 404).await;

    table.delete_table().await?;
    println!("rest_handler: ok");
    Ok(())
}
