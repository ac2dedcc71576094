//! Time to live: UpdateTimeToLive and DescribeTimeToLive.

use super::super::error::ApiError;
use super::call::run;
use super::request::{null, obj, opt_bool, req_str, table_name, Answer, Body};
use super::tables::{info, Catalog};
use crate::MemoryBackend;
use orm_core::Backend;
use serde_json::json;

fn ttl_of(
    backend: &MemoryBackend,
    catalog: &Catalog,
    name: &str,
) -> Result<Option<String>, ApiError> {
    let definition = run(backend.describe_table(name))?;
    Ok(info(catalog, &definition).ttl)
}

pub(crate) fn update_ttl(backend: &MemoryBackend, catalog: &Catalog, body: &Body) -> Answer {
    let name = table_name(body)?;
    let spec = obj(
        body.get("TimeToLiveSpecification")
            .ok_or_else(|| null("TimeToLiveSpecification"))?,
        "TimeToLiveSpecification",
    )?;
    let attribute = req_str(spec, "AttributeName")?.to_string();
    let enabled = opt_bool(spec, "Enabled")?.ok_or_else(|| null("Enabled"))?;
    let current = ttl_of(backend, catalog, &name)?;
    match (&current, enabled) {
        (Some(_), true) => return Err(ApiError::validation("TimeToLive is already enabled")),
        (None, false) => return Err(ApiError::validation("TimeToLive is already disabled")),
        (Some(a), false) if *a != attribute => {
            return Err(ApiError::validation(format!(
                "TimeToLive is enabled on attribute {a}, not {attribute}"
            )))
        }
        _ => {}
    }
    if let Some(t) = catalog
        .tables
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get_mut(&name)
    {
        t.ttl = enabled.then(|| attribute.clone());
    }
    Ok(json!({ "TimeToLiveSpecification": {"AttributeName": attribute, "Enabled": enabled} }))
}

pub(crate) fn describe_ttl(backend: &MemoryBackend, catalog: &Catalog, body: &Body) -> Answer {
    let name = table_name(body)?;
    Ok(match ttl_of(backend, catalog, &name)? {
        Some(attribute) => json!({ "TimeToLiveDescription": {
            "TimeToLiveStatus": "ENABLED", "AttributeName": attribute } }),
        None => json!({ "TimeToLiveDescription": { "TimeToLiveStatus": "DISABLED" } }),
    })
}
