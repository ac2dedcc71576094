//! The layout report (`orm_core::report`): charts, access patterns, overloading, warnings and
//! their renderings. The e-commerce example's report is pinned in `examples/tests/layout_report.rs`.

use orm_core::report::{Report, WarningKind};
use orm_core::{collection, Model};
use serde::{Deserialize, Serialize};

#[derive(Model, Serialize, Deserialize)]
#[model(entity = "Issue", pk = "ISSUE#{org}#{number}", sk = "ISSUE")]
#[model(index(
    name = "gsi1",
    pk = "OPEN#{org}",
    sk = "{number:8}",
    when = "Self::is_open(open)"
))]
struct Issue {
    org: String,
    number: u32,
    open: bool,
    #[model(version)]
    version: u64,
}

impl Issue {
    fn is_open(open: &bool) -> bool {
        *open
    }
}

#[derive(Model, Serialize, Deserialize)]
#[model(entity = "Comment", pk = "ISSUE#{org}#{number}", sk = "COMMENT#{seq}")]
struct Comment {
    org: String,
    number: u64,
    seq: u32,
}

/// Shares `Comment`'s sort-key shape on purpose: a key collision.
#[derive(Model, Serialize, Deserialize)]
#[model(
    entity = "Reaction",
    pk = "ISSUE#{org}#{issue}",
    sk = "COMMENT#{emoji}"
)]
struct Reaction {
    org: String,
    issue: u64,
    emoji: String,
}

/// Everything in one partition: a hot partition.
#[derive(Model, Serialize, Deserialize)]
#[model(entity = "Setting", pk = "SETTINGS", sk = "SETTING#{name}")]
struct Setting {
    name: String,
    value: String,
}

collection! { enum Thread { Issue(Issue), Comment(Comment) } }

fn kinds(report: &Report) -> Vec<WarningKind> {
    report.warnings.iter().map(|w| w.kind).collect()
}

#[test]
fn warnings_a_reviewer_wants() {
    let report = Report::builder()
        .models::<(Issue, Comment, Reaction, Setting)>()
        .collection::<Thread>("Thread")
        .table_indexes(["gsi1", "gsi9"])
        .build();
    let text: Vec<&str> = report.warnings.iter().map(|w| w.message.as_str()).collect();
    assert_eq!(
        kinds(&report),
        [
            WarningKind::KeyCollision,
            WarningKind::UnpopulatedIndex,
            WarningKind::IntegerWidths,
            WarningKind::IntegerWidths,
            WarningKind::HotPartition,
        ],
        "{text:#?}"
    );
    assert!(text[0].starts_with("Comment (ISSUE#{org}#{number} / COMMENT#{seq}) and Reaction"));
    assert!(text[1].contains("index `gsi9`"), "{}", text[1]);
    assert!(
        text[2].starts_with("in the collection Thread, Issue.number is padded to 10 digits")
            && text[2].contains("Comment.number to 20"),
        "{}",
        text[2]
    );
    assert!(
        text[3].starts_with("in partitions of one shape, Issue.number"),
        "{}",
        text[3]
    );
    assert!(text[4].contains("`SETTINGS` is constant"), "{}", text[4]);
}

#[test]
fn a_clean_design_has_no_warnings() {
    #[derive(Model, Serialize, Deserialize)]
    #[model(entity = "Issue", pk = "ISSUE#{org}#{number:8}", sk = "ISSUE")]
    struct Issue8 {
        org: String,
        number: u32,
    }
    #[derive(Model, Serialize, Deserialize)]
    #[model(
        entity = "Comment",
        pk = "ISSUE#{org}#{number:8}",
        sk = "COMMENT#{seq}"
    )]
    struct Comment8 {
        org: String,
        number: u64,
        seq: u32,
    }
    collection! { enum Thread8 { Issue(Issue8), Comment(Comment8) } }
    let report = Report::builder()
        .collection::<Thread8>("Thread")
        .table_indexes(Vec::<String>::new())
        .build();
    assert_eq!(report.warnings, []);
    assert!(report.to_markdown().contains("### Warnings\n\nNone."));
}

#[test]
fn chart_patterns_and_overloading() {
    let report = Report::builder()
        .models::<(Issue, Comment)>()
        .collection::<Thread>("Thread")
        .build();
    let issue = &report.entities[0];
    assert_eq!(issue.entity, "Issue");
    assert_eq!(
        issue.example.partition.as_deref(),
        Some("ISSUE#org1#0000000001")
    );
    assert_eq!(issue.version.as_deref(), Some("version"));
    assert_eq!(issue.collections, ["Thread"]);
    let gsi1 = &issue.indexes[0];
    assert_eq!(gsi1.when.as_deref(), Some("Self::is_open(open)"));
    assert_eq!(gsi1.example.sort.as_deref(), Some("00000001"));
    let patterns: Vec<(&str, &str)> = report
        .access_patterns
        .iter()
        .map(|p| (p.name.as_str(), p.key_condition.as_str()))
        .collect();
    assert!(patterns.contains(&(
        "the Comment items of one `ISSUE#{org}#{number}` partition",
        "pk = \"ISSUE#org1#00000000000000000001\" AND begins_with(sk, \"COMMENT#\")"
    )));
    assert!(patterns.contains(&(
        "Issue by `gsi1` (only while Self::is_open(open))",
        "gsi1pk = \"OPEN#org1\""
    )));
    assert!(patterns
        .iter()
        .any(|(name, _)| name.starts_with("the collection Thread")));
    let table = &report.overloading[0];
    assert_eq!(table.index, None);
    assert_eq!(table.partitions.len(), 2, "{table:?}"); // widths 10 and 20: two shapes
    assert_eq!(report.overloading[1].index.as_deref(), Some("gsi1"));
}

#[test]
fn samples_render_real_keys() {
    let issue = Issue {
        org: "acme".into(),
        number: 7,
        open: false,
        version: 0,
    };
    let report = Report::builder().sample(&issue).unwrap().build();
    let chart = &report.entities[0];
    assert_eq!(
        chart.example.partition.as_deref(),
        Some("ISSUE#acme#0000000007")
    );
    // Closed: not in the open-issues index.
    assert_eq!(chart.indexes[0].example.partition, None);
}

#[test]
fn renderings_escape_and_parse() {
    let report = Report::builder()
        .models::<(Issue, Comment, Setting)>()
        .build();
    let markdown = report.to_markdown();
    let mermaid = &markdown[markdown.find("```mermaid").unwrap()..];
    // `#` starts an entity code in Mermaid labels: escaped.
    assert!(mermaid.contains("ISSUE#35;{}#35;{:10}"), "{mermaid}");
    assert!(!mermaid[..mermaid.find("\n```\n").unwrap()].contains("ISSUE#{"));
    let json: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
    assert_eq!(json["entities"][0]["entity"], "Issue");
    assert_eq!(json["warnings"][0]["kind"], "IntegerWidths");
}

/// A multi-attribute index beside a template one (`Match::byRegion`: the attributes themselves).
#[derive(Model, Serialize, Deserialize)]
#[model(entity = "Match", pk = "MATCH#{id}", sk = "MATCH")]
#[model(index(name = "byRegion", pk = [tournament, region], sk = [round, bracket]))]
#[model(index(name = "gsi1", pk = "PLAYER#{player}", sk = "MATCH#{id}"))]
struct Match {
    id: String,
    tournament: String,
    region: String,
    round: u32,
    bracket: Option<String>,
    player: String,
}

/// Shares `byRegion` with `Match`: one partition shape, two entities.
#[derive(Model, Serialize, Deserialize)]
#[model(entity = "Standing", pk = "STANDING#{team}", sk = "STANDING")]
#[model(index(name = "byRegion", pk = [tournament, region]))]
struct Standing {
    team: String,
    tournament: String,
    region: String,
}

#[test]
fn multi_attribute_keys_in_chart_patterns_and_overloading() {
    let report = Report::builder()
        .models::<(Match, Standing)>()
        .table_indexes(["byRegion", "gsi1"])
        .build();
    assert_eq!(report.warnings, []);
    let by_region = &report.entities[0].indexes[0];
    assert_eq!(by_region.name, "byRegion");
    assert_eq!(by_region.partition_attributes, ["tournament", "region"]);
    assert_eq!(by_region.sort_attributes, ["round", "bracket"]);
    assert_eq!(
        (&by_region.partition_key, &by_region.sort_key),
        (&None, &None)
    );
    assert_eq!(
        by_region.example_attributes,
        [
            ("tournament".to_owned(), "\"tournament1\"".to_owned()),
            ("region".to_owned(), "\"region1\"".to_owned()),
            ("round".to_owned(), "1".to_owned()),
            ("bracket".to_owned(), "\"bracket1\"".to_owned()),
        ]
    );
    // Two reads of the index: the partition, and the whole key left to right.
    let patterns: Vec<&str> = report
        .access_patterns
        .iter()
        .filter(|p| p.index.as_deref() == Some("byRegion"))
        .map(|p| p.key_condition.as_str())
        .collect();
    assert_eq!(
        patterns,
        [
            r#"tournament = "tournament1" AND region = "region1""#,
            r#"tournament = "tournament1" AND region = "region1" AND round = 1 AND bracket >= "bracket1""#,
            r#"tournament = "tournament1" AND region = "region1""#,
        ]
    );
    // The template index beside it keeps its synthetic attributes.
    assert!(report
        .access_patterns
        .iter()
        .any(|p| p.index.as_deref() == Some("gsi1")
            && p.key_condition
                == r#"gsi1pk = "PLAYER#player1" AND begins_with(gsi1sk, "MATCH#")"#));
    // Both entities land in the one `[tournament, region]` shape of byRegion.
    let overloading = report
        .overloading
        .iter()
        .find(|o| o.index.as_deref() == Some("byRegion"))
        .unwrap();
    assert_eq!(overloading.partitions.len(), 1);
    assert_eq!(overloading.partitions[0].shape, "[tournament, region]");
    assert_eq!(
        overloading.partitions[0].entities,
        [
            ("Match".to_owned(), Some("[round, bracket]".to_owned())),
            ("Standing".to_owned(), None),
        ]
    );
    let markdown = report.to_markdown();
    assert!(
        markdown.contains("byRegion: `[tournament, region]` / `[round, bracket]`"),
        "{markdown}"
    );
    assert!(
        markdown.contains("p1_0[\"[tournament, region]\"]"),
        "{markdown}"
    );

    // A sample model's own values, typed as stored.
    let sampled = Report::builder()
        .sample(&Match {
            id: "m1".into(),
            tournament: "W24".into(),
            region: "EU".into(),
            round: 10,
            bracket: Some("upper".into()),
            player: "p1".into(),
        })
        .unwrap()
        .build();
    assert!(sampled.access_patterns.iter().any(|p| p.key_condition
        == r#"tournament = "W24" AND region = "EU" AND round = 10 AND bracket >= "upper""#));
}
