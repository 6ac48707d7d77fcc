//! Enrichment, after grouping and policy: each finding is matched to the organisation's inventory (which entry,
//! by what, how strongly) and, with `--verify`, its liveness is probed with the provider. Key material itself is
//! derived earlier, by the matcher's validators.

use std::sync::Arc;

use crate::config::ScanConfig;
use crate::inventory::Inventory;
use crate::model::{Finding, ScanError};
use crate::providers::{Ctx, audit, liveness};
use crate::rules::RuleSet;

/// Matches findings to the inventory and, with `--verify`, probe their liveness. Problems become errors.
pub fn enrich_findings(
    cfg: &ScanConfig,
    rules: &RuleSet,
    findings: &mut [Finding],
    errors: &mut Vec<ScanError>,
) {
    let inventory = match &cfg.inventory {
        Some(p) => match Inventory::load(p, &cfg.file, rules) {
            Ok(i) => Some(i),
            Err(e) => {
                errors.push(ScanError {
                    location: p.display().to_string(),
                    message: format!("{e:#}"),
                });
                None
            }
        },
        None => None,
    };
    if let Some(inv) = &inventory {
        inv.annotate(findings);
    }
    if cfg.verify {
        let log_path = cfg
            .audit_log
            .clone()
            .unwrap_or_else(|| audit::DEFAULT_AUDIT_LOG.into());
        let done = Ctx::new(&cfg.file).and_then(|ctx| {
            liveness::verify_findings(Arc::new(ctx), &log_path, inventory.as_ref(), findings)
        });
        if let Err(e) = done {
            errors.push(ScanError {
                location: "--verify".into(),
                message: format!("{e:#}"),
            });
        }
    }
}
