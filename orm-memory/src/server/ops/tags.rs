//! Tagging: TagResource, UntagResource and ListTagsOfResource, on tables named by their ARN
//! (`super::arn`). The tags are the engine's (`MemoryBackend::tag_table` and its siblings).

use super::super::error::ApiError;
use super::arn;
use super::request::{list, null, obj, opt_str, req_str, Answer, Body, Context};
use orm_core::Error;
use serde_json::{json, Value as Json};

/// A `Tags` member: `[{"Key": .., "Value": ..}, ...]`.
pub(crate) fn tag_list(json: &Json) -> Result<Vec<(String, String)>, ApiError> {
    list(json, "Tags")?
        .iter()
        .map(|tag| {
            let tag = obj(tag, "Tags")?;
            super::request::check_fields(tag, &["Key", "Value"])?;
            let key = opt_str(tag, "Key")?.ok_or_else(|| null("Tags.member.Key"))?;
            let value = opt_str(tag, "Value")?.ok_or_else(|| null("Tags.member.Value"))?;
            Ok((key.to_owned(), value.to_owned()))
        })
        .collect()
}

/// The table a tag request's `ResourceArn` names, for the operation `operation`.
struct Resource<'a> {
    operation: &'static str,
    /// The ARN as given.
    arn: &'a str,
    /// The table it names.
    table: &'a str,
}

/// The table a request's `ResourceArn` names, for `operation`: DynamoDB's
/// `AccessDeniedException` when the ARN is of another account than the server's.
fn resource<'a>(body: &'a Body, operation: &'static str) -> Result<Resource<'a>, ApiError> {
    let arn = req_str(body, "ResourceArn")?;
    let parsed = arn::parse(arn)?;
    if parsed.account != arn::ACCOUNT {
        return Err(access_denied(operation, arn));
    }
    Ok(Resource {
        operation,
        arn,
        table: parsed.table,
    })
}

impl Resource<'_> {
    /// Runs `call` on the table, a missing table answered as [`missing`] says.
    fn run<T>(&self, call: impl FnOnce(&str) -> Result<T, Error>) -> Result<T, ApiError> {
        call(self.table).map_err(|e| missing(self.operation, self.arn, e))
    }
}

fn access_denied(operation: &str, resource: &str) -> ApiError {
    ApiError::client(
        "AccessDeniedException",
        format!(
            "User: arn:aws:iam::{}:root is not authorized to perform: dynamodb:{operation} on resource: {resource}",
            arn::ACCOUNT
        ),
    )
}

/// The answer to a tag request on a table that does not exist: TagResource and UntagResource
/// say so, ListTagsOfResource denies access (as DynamoDB does: there is nothing to authorize).
fn missing(operation: &str, resource: &str, error: Error) -> ApiError {
    match error {
        Error::TableNotFound { .. } if operation == "ListTagsOfResource" => {
            access_denied(operation, resource)
        }
        Error::TableNotFound { .. } => ApiError::client(
            "ResourceNotFoundException",
            format!("Requested resource not found: ResourcArn: {resource} not found"),
        ),
        other => ApiError::from(other),
    }
}

pub(crate) fn tag_resource(cx: &Context<'_>, body: &Body) -> Answer {
    let target = resource(body, "TagResource")?;
    let tags = tag_list(body.get("Tags").ok_or_else(|| null("Tags"))?)?;
    target.run(|table| cx.backend.tag_table(table, &tags))?;
    Ok(json!({}))
}

pub(crate) fn untag_resource(cx: &Context<'_>, body: &Body) -> Answer {
    let target = resource(body, "UntagResource")?;
    let keys = list(
        body.get("TagKeys").ok_or_else(|| null("TagKeys"))?,
        "TagKeys",
    )?
    .iter()
    .map(|k| {
        k.as_str()
            .map(str::to_owned)
            .ok_or_else(|| super::request::wrong_type("TagKeys", "a list of strings"))
    })
    .collect::<Result<Vec<String>, ApiError>>()?;
    target.run(|table| cx.backend.untag_table(table, &keys))?;
    Ok(json!({}))
}

pub(crate) fn list_tags(cx: &Context<'_>, body: &Body) -> Answer {
    let target = resource(body, "ListTagsOfResource")?;
    // One page holds every tag (at most 50): `NextToken` is accepted and never needed.
    opt_str(body, "NextToken")?;
    let tags = target.run(|table| cx.backend.table_tags(table))?;
    let tags: Vec<Json> = tags
        .into_iter()
        .map(|(key, value)| json!({"Key": key, "Value": value}))
        .collect();
    Ok(json!({ "Tags": tags }))
}
