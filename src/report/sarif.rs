//! SARIF 2.1.0 for code scanning (GitHub and others), built with the typed `serde-sarif` model: one run whose
//! driver lists the rules that fired (with GitHub's `security-severity`), one result per finding (the first
//! location primary, the others related), `partialFingerprints` carrying our fingerprint so an alert survives
//! line shifts and reruns, columns in Unicode code points, and input errors as tool notifications.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Write};

use serde_json::{Value, json};
use serde_sarif::sarif;

use super::{NOT_IN_HEAD, ReportContext, rule_name, shown_secret};
use crate::model::ScanReport;
use crate::model::{Finding, Location, Severity};

/// The `partialFingerprints` key under which our fingerprint is recorded.
pub const FINGERPRINT_KEY: &str = "keysweep/fingerprint/v1";

/// The `$schema` of the log: the OASIS schema the output is tested against.
pub const SCHEMA_URI: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

/// Where the tool is documented (the package's repository when Cargo knows it).
pub const INFORMATION_URI: &str = match option_env!("CARGO_PKG_REPOSITORY") {
    Some(r) if !r.is_empty() => r,
    _ => "https://crates.io/crates/keysweep",
};

/// The `sarif` format.
pub struct Sarif;

impl super::Sink for Sarif {
    fn write(
        &self,
        report: &ScanReport,
        ctx: &ReportContext<'_>,
        out: &mut dyn Write,
    ) -> io::Result<()> {
        let log = build(report, ctx);
        serde_json::to_writer_pretty(&mut *out, &log).map_err(io::Error::other)?;
        writeln!(out)
    }
}

/// SARIF `level` of a severity.
pub fn level(severity: Severity) -> sarif::ResultLevel {
    match severity {
        Severity::High => sarif::ResultLevel::Error,
        Severity::Medium => sarif::ResultLevel::Warning,
        Severity::Low => sarif::ResultLevel::Note,
    }
}

/// GitHub's `security-severity` score of a severity (critical ≥ 9.0 > high ≥ 7.0 > medium ≥ 4.0 > low).
pub fn security_severity(severity: Severity) -> &'static str {
    match severity {
        Severity::High => "8.9",
        Severity::Medium => "5.5",
        Severity::Low => "2.0",
    }
}

fn properties(pairs: Vec<(&str, Value)>) -> sarif::PropertyBag {
    sarif::PropertyBag::builder()
        .additional_properties(
            pairs
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect::<BTreeMap<_, _>>(),
        )
        .build()
}

fn rule_descriptor(id: &str, f: &Finding, ctx: &ReportContext<'_>) -> sarif::ReportingDescriptor {
    let rule = ctx.rules.get(id);
    let name = rule.map_or(id, |r| r.name.as_str());
    let mut tags = vec!["security".to_string(), "secret".to_string()];
    tags.push(f.provider.clone());
    let props = sarif::PropertyBag::builder()
        .tags(tags)
        .additional_properties(BTreeMap::from([
            ("severity".to_string(), json!(f.severity.as_str())),
            ("provider".to_string(), json!(f.provider)),
            (
                "security-severity".to_string(),
                json!(security_severity(f.severity)),
            ),
            ("precision".to_string(), json!("high")),
        ]))
        .build();
    let help = rule.and_then(|r| r.def.references.first().cloned());
    let description = sarif::MultiformatMessageString::builder()
        .text(format!("{name}: a leaked credential that must be revoked"))
        .build();
    let config = sarif::ReportingConfiguration::builder()
        .level(json!(level(f.severity)))
        .build();
    match help {
        Some(uri) => sarif::ReportingDescriptor::builder()
            .id(id)
            .name(pascal(id))
            .short_description(description)
            .default_configuration(config)
            .help_uri(uri)
            .properties(props)
            .build(),
        None => sarif::ReportingDescriptor::builder()
            .id(id)
            .name(pascal(id))
            .short_description(description)
            .default_configuration(config)
            .properties(props)
            .build(),
    }
}

/// A rule id as a SARIF rule name (`app-store-connect.p8` → `AppStoreConnectP8`).
fn pascal(id: &str) -> String {
    id.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|h| h.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// `bytes` as a URI path: unreserved characters and `/` as they are, every other byte `%XX`.
fn percent_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 3);
    for &b in bytes {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn location(loc: &Location, id: Option<i64>) -> sarif::Location {
    let (end_line, end_col) = loc.end.unwrap_or((loc.line, loc.column));
    let region = sarif::Region::builder()
        .start_line(loc.line as i64)
        .start_column(loc.column as i64)
        .end_line(end_line as i64)
        .end_column(end_col as i64)
        .build();
    // A name that is not UTF-8 has no text form: its URI percent-encodes its exact bytes.
    let path = match &loc.path_bytes {
        Some(_) => percent_encode(&loc.raw_path()),
        None => loc.path.clone(),
    };
    let uri = match &loc.repository {
        Some(r) => format!("{r}/{path}"),
        None => path,
    };
    // In an archive the lines are the member's, not the file's: the location is the whole archive, the member
    // a property.
    let artifact = sarif::ArtifactLocation::builder().uri(uri).build();
    let physical = match loc.member {
        Some(_) => sarif::PhysicalLocation::builder()
            .artifact_location(artifact)
            .build(),
        None => sarif::PhysicalLocation::builder()
            .artifact_location(artifact)
            .region(region)
            .build(),
    };
    let mut pairs = vec![("blob", json!(loc.blob))];
    if let Some(m) = &loc.member {
        pairs.push(("member", json!(m)));
    }
    if let Some(c) = &loc.commit {
        pairs.push(("commit", json!(c)));
    }
    if let Some(h) = loc.in_head {
        pairs.push(("in_head", json!(h)));
    }
    let props = properties(pairs);
    match id {
        Some(id) => sarif::Location::builder()
            .id(id)
            .physical_location(physical)
            .properties(props)
            .build(),
        None => sarif::Location::builder()
            .physical_location(physical)
            .properties(props)
            .build(),
    }
}

fn message(f: &Finding, ctx: &ReportContext<'_>) -> String {
    let mut m = format!(
        "{} ({}) found: {}.",
        rule_name(f, ctx),
        f.severity.as_str(),
        shown_secret(f, ctx)
    );
    if let Some(id) = f.key.as_ref().and_then(|k| k.key_id.as_deref()) {
        m.push_str(&format!(" Key id {id}."));
    }
    if let Some(inv) = &f.inventory {
        m.push_str(&format!(
            " Inventory key {} (owner {}).",
            inv.key_id,
            inv.owner.as_deref().unwrap_or("-")
        ));
    }
    if f.locations.iter().any(|l| l.in_head == Some(false)) {
        m.push_str(&format!(" The key is {NOT_IN_HEAD}."));
    } else {
        m.push_str(" Revoke it at the provider, then remove it.");
    }
    if f.locations.len() > 1 {
        m.push_str(&format!(
            " Seen in {} places (see related locations).",
            f.locations.len()
        ));
    }
    m
}

/// Builds the SARIF log of a report.
pub fn build(report: &ScanReport, ctx: &ReportContext<'_>) -> sarif::Sarif {
    let used: BTreeSet<&str> = report.findings.iter().map(|f| f.rule_id.as_str()).collect();
    let rule_index: BTreeMap<&str, usize> = used.iter().enumerate().map(|(i, r)| (*r, i)).collect();
    let rules: Vec<sarif::ReportingDescriptor> = used
        .iter()
        .filter_map(|id| {
            let f = report.findings.iter().find(|f| f.rule_id == *id)?;
            Some(rule_descriptor(id, f, ctx))
        })
        .collect();
    let results: Vec<sarif::Result> = report
        .findings
        .iter()
        .map(|f| {
            let mut locs = f.locations.iter();
            let primary: Vec<sarif::Location> =
                locs.next().map(|l| location(l, None)).into_iter().collect();
            let related: Vec<sarif::Location> = locs
                .enumerate()
                .map(|(i, l)| location(l, Some(i as i64 + 1)))
                .collect();
            let mut props = vec![
                ("severity", json!(f.severity.as_str())),
                ("provider", json!(f.provider)),
                ("validated", json!(f.validated)),
            ];
            if let Some(c) = &f.context {
                props.push(("context", json!(c)));
            }
            if f.known_example {
                props.push(("known_example", json!(true)));
            }
            if let Some(k) = &f.key {
                props.push(("key", serde_json::to_value(k).unwrap_or(Value::Null)));
            }
            if let Some(i) = &f.inventory {
                props.push(("inventory", serde_json::to_value(i).unwrap_or(Value::Null)));
            }
            let fingerprints =
                BTreeMap::from([(FINGERPRINT_KEY.to_string(), f.fingerprint.clone())]);
            let base = sarif::Result::builder()
                .rule_id(f.rule_id.clone())
                .rule_index(rule_index[f.rule_id.as_str()] as i64)
                .level(level(f.severity))
                .message(sarif::Message::builder().text(message(f, ctx)).build())
                .locations(primary)
                .partial_fingerprints(fingerprints)
                .occurrence_count(f.occurrences.max(1) as i64)
                .properties(properties(props));
            if related.is_empty() {
                base.build()
            } else {
                base.related_locations(related).build()
            }
        })
        .collect();
    let notifications: Vec<sarif::Notification> = report
        .errors
        .iter()
        .map(|e| {
            sarif::Notification::builder()
                .level(json!("error"))
                .message(
                    sarif::Message::builder()
                        .text(format!("{}: {}", e.location, e.message))
                        .build(),
                )
                .build()
        })
        .collect();
    let invocation = sarif::Invocation::builder()
        .execution_successful(report.errors.is_empty())
        .tool_execution_notifications(notifications)
        .build();
    let driver = sarif::ToolComponent::builder()
        .name("keysweep")
        .semantic_version(env!("CARGO_PKG_VERSION"))
        .version(env!("CARGO_PKG_VERSION"))
        .information_uri(INFORMATION_URI)
        .rules(rules)
        .build();
    let run = sarif::Run::builder()
        .tool(sarif::Tool::builder().driver(driver).build())
        .results(results)
        .invocations(vec![invocation])
        .column_kind(json!("unicodeCodePoints"))
        .build();
    sarif::Sarif::builder()
        .schema(SCHEMA_URI)
        .version(json!("2.1.0"))
        .runs(vec![run])
        .build()
}
