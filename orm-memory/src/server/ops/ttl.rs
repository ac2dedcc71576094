//! Time to live: UpdateTimeToLive and DescribeTimeToLive, on the engine's TTL setting (the one
//! `MemoryBackend::purge_expired` uses).

use super::call::run;
use super::request::{null, obj, opt_bool, req_str, Answer, Body, Context};
use super::tables::table_name;
use orm_core::Backend;
use serde_json::json;

pub(crate) fn update_ttl(cx: &Context<'_>, body: &Body) -> Answer {
    let name = table_name(body)?;
    let spec = obj(
        body.get("TimeToLiveSpecification")
            .ok_or_else(|| null("TimeToLiveSpecification"))?,
        "TimeToLiveSpecification",
    )?;
    let attribute = req_str(spec, "AttributeName")?;
    let enabled = opt_bool(spec, "Enabled")?.ok_or_else(|| null("Enabled"))?;
    cx.backend.update_time_to_live(&name, attribute, enabled)?;
    Ok(json!({ "TimeToLiveSpecification": {"AttributeName": attribute, "Enabled": enabled} }))
}

pub(crate) fn describe_ttl(cx: &Context<'_>, body: &Body) -> Answer {
    let definition = run(cx.backend.describe_table(&table_name(body)?))?;
    Ok(match definition.ttl_attribute {
        Some(attribute) => json!({ "TimeToLiveDescription": {
            "TimeToLiveStatus": "ENABLED", "AttributeName": attribute } }),
        None => json!({ "TimeToLiveDescription": { "TimeToLiveStatus": "DISABLED" } }),
    })
}
