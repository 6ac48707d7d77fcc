//! GitHub Actions workflow commands: one `::error` (or `::warning` for low severity) annotation per location,
//! so findings show on the pull request's diff. Annotations are public on the pull request, so they never carry
//! the secret, not even redacted and not with `--show-secrets`: the rule, the fingerprint and the key id do.

use std::io::{self, Write};

use super::{NOT_IN_HEAD, ReportContext, rule_name};
use crate::model::ScanReport;
use crate::model::Severity;

/// The `github` format.
pub struct Github;

impl super::Sink for Github {
    fn write(
        &self,
        report: &ScanReport,
        ctx: &ReportContext<'_>,
        out: &mut dyn Write,
    ) -> io::Result<()> {
        for f in &report.findings {
            let command = if f.severity == Severity::Low {
                "warning"
            } else {
                "error"
            };
            let title = format!("{} ({})", rule_name(f, ctx), f.rule_id);
            let key_id = f
                .key
                .as_ref()
                .and_then(|k| k.key_id.as_deref())
                .map(|id| format!(" key id {id},"))
                .unwrap_or_default();
            for loc in &f.locations {
                let mut props = Vec::new();
                if loc.path != "-" && !loc.path.is_empty() {
                    props.push(format!(
                        "file={}",
                        escape_property(&crate::model::path::lossy(&loc.path))
                    ));
                    // A secret inside an archive annotates the archive as a whole: its lines are the member's.
                    if loc.member.is_none() {
                        props.push(format!("line={}", loc.line));
                        props.push(format!("col={}", loc.column));
                        if let Some((l, c)) = loc.end {
                            props.push(format!("endLine={l}"));
                            props.push(format!("endColumn={c}"));
                        }
                    }
                }
                props.push(format!("title={}", escape_property(&title)));
                let mut message = format!(
                    "{} severity {} secret found:{key_id} fingerprint {}. Revoke it at the provider ({}), then remove it.",
                    f.severity.as_str(),
                    f.provider,
                    f.fingerprint,
                    f.provider
                );
                if let Some(m) = super::marks(f) {
                    message.push_str(&format!(" Severity lowered: {m}."));
                }
                if loc.in_head == Some(false) {
                    message.push_str(&format!(" It is {NOT_IN_HEAD}."));
                }
                if let Some(m) = &loc.member {
                    message.push_str(&format!(" In archive member {m}, line {}.", loc.line));
                }
                if let Some(c) = &loc.commit {
                    if loc.introduced == Some(false) {
                        message.push_str(&format!(
                            " Still in commit {c}, which changed the file later."
                        ));
                    } else {
                        message.push_str(&format!(" Introduced in commit {c}."));
                    }
                }
                writeln!(
                    out,
                    "::{command} {}::{}",
                    props.join(","),
                    escape_data(&message)
                )?;
            }
        }
        for e in &report.errors {
            writeln!(
                out,
                "::error title=keysweep error::{}",
                escape_data(&format!("{}: {}", e.location, e.message))
            )?;
        }
        Ok(())
    }
}

/// Escapes a workflow command's message (`%`, `\r`, `\n`).
pub fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a workflow command's property value (also `:` and `,`).
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_follow_the_workflow_command_rules() {
        assert_eq!(escape_data("50% a\r\nb: c, d"), "50%25 a%0D%0Ab: c, d");
        assert_eq!(escape_property("a:b,c%\n"), "a%3Ab%2Cc%25%0A");
    }
}
