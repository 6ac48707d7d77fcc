//! A gitleaks / Betterleaks config read into an [`Import`]: `[extend]`, rules, global and targeted allowlists,
//! each item noted as mapped or not with its line.

use std::path::Path;

use anyhow::{Result, bail};
use serde::Deserialize;

use super::allowlist::{import_global_allowlist, rule_allowlist};
use super::raw::{
    Lines, Place, RULE_KEYS, RawAllowlist, RawConfig, RawRule, TOP_KEYS, lowercase_keys,
};
use super::{
    Import, Level, MAX_CONFIG, MAX_EXTEND_DEPTH, MAX_RULES, OutPaths, OutRule, OutRuleFile,
    goregex, ids, read_bounded,
};

/// Imports a gitleaks or Betterleaks config file (and what its `[extend] path` names).
pub fn import_config(path: &Path) -> Result<Import> {
    let mut import = Import::default();
    import_into(&mut import, path, 0)?;
    Ok(finish(import, path))
}

/// Imports a config given as text (`GITLEAKS_CONFIG_TOML`), named `name` in notes and errors; an `[extend] path`
/// in it is relative to the current directory.
pub fn import_config_text(name: &str, text: &str) -> Result<Import> {
    if text.len() as u64 > MAX_CONFIG {
        bail!(
            "{name}: {} bytes, over the {MAX_CONFIG}-byte limit",
            text.len()
        );
    }
    let mut import = Import::default();
    import_text(&mut import, Path::new(name), text, 0)?;
    Ok(finish(import, Path::new(name)))
}

/// The notes every import ends with, sorted by file and line; the disabled ids deduplicated.
fn finish(mut import: Import, path: &Path) -> Import {
    if !import.use_default && !import.rules.is_empty() {
        import.note(
            (path.display().to_string(), 1),
            Level::Unmapped,
            "no [extend] useDefault = true: gitleaks ran only this config's rules, keysweep runs its built-in rules \
             too (name them in [rules] disable to turn them off)",
        );
    }
    let order: Vec<String> = import
        .sources
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    import
        .notes
        .sort_by_key(|n| (order.iter().position(|f| *f == n.at.0), n.at.1));
    import.disable.sort();
    import.disable.dedup();
    import
}

pub(super) fn import_into(import: &mut Import, path: &Path, depth: usize) -> Result<()> {
    let text = read_bounded(path, MAX_CONFIG)?;
    import_text(import, path, &text, depth)
}

/// One config's text, `path` naming it (and its directory anchoring `[extend] path`).
fn import_text(import: &mut Import, path: &Path, text: &str, depth: usize) -> Result<()> {
    let shown = path.display().to_string();
    let value: toml::Value = toml::from_str(text)
        .map_err(|e| anyhow::anyhow!("config {}", crate::display::toml_error(&shown, text, &e)))?;
    let value = lowercase_keys(value);
    let raw = RawConfig::deserialize(value.clone()).map_err(|e| {
        anyhow::anyhow!(
            "config {shown}: not a gitleaks or Betterleaks config: {}",
            e.message()
        )
    })?;
    import.sources.push(path.to_path_buf());
    let lines = Lines::new(shown.clone(), text);
    let n = lines.lines.len();
    // Keys nobody reads.
    if let toml::Value::Table(top) = &value {
        for k in top.keys().filter(|k| !TOP_KEYS.contains(&k.as_str())) {
            import.note(
                lines.at(lines.key(k, 1, n)),
                Level::Unmapped,
                format!("unknown key `{k}`, ignored"),
            );
        }
    }
    // [extend]
    let extend_line = lines
        .headers(&["[extend]"], 0, n)
        .first()
        .copied()
        .unwrap_or(1);
    if let Some(ext) = &raw.extend {
        if ext.usedefault {
            import.use_default = true;
            import.note(
                lines.at(lines.key("usedefault", extend_line, n)),
                Level::Mapped,
                "useDefault = true → keysweep's built-in rules (always on; `keysweep rules list` names them)",
            );
        }
        if let Some(url) = &ext.url {
            import.note(
                lines.at(lines.key("url", extend_line, n)),
                Level::Unmapped,
                format!(
                    "extend.url {url:?}: keysweep never fetches a config; download it and import it"
                ),
            );
        }
        if let Some(p) = &ext.path {
            let at = lines.at(lines.key("path", extend_line, n));
            let rel = Path::new(p);
            let inside = rel.is_relative()
                && rel.components().all(|c| {
                    matches!(
                        c,
                        std::path::Component::Normal(_) | std::path::Component::CurDir
                    )
                });
            let target = path.parent().unwrap_or(Path::new(".")).join(rel);
            if depth + 1 > MAX_EXTEND_DEPTH {
                import.note(
                    at,
                    Level::Unmapped,
                    format!("extend.path {p:?}: more than {MAX_EXTEND_DEPTH} configs deep"),
                );
            } else if !inside {
                import.note(at, Level::Unmapped, format!("extend.path {p:?}: only a relative path below the config's directory is read"));
            } else if !target.is_file() {
                import.note(
                    at,
                    Level::Unmapped,
                    format!("extend.path {p:?}: no such file"),
                );
            } else {
                import_into(import, &target, depth + 1)?;
                import.note(
                    at,
                    Level::Mapped,
                    format!("extend.path {p:?} → its rules and allowlists, imported too"),
                );
            }
        }
        for id in &ext.disabledrules {
            let at = lines.at(lines.key("disabledrules", extend_line, n));
            if let Some(ours) = import.custom_ids.remove(id) {
                import.rules.retain(|r| r.id != ours);
                import.note(
                    at,
                    Level::Mapped,
                    format!("disabledRules {id:?}: the extended config's rule is not imported"),
                );
            } else if let Some(ours) = ids::keysweep_ids(id) {
                import.disable.extend(ours.iter().map(|s| (*s).to_string()));
                import.note(
                    at,
                    Level::Mapped,
                    format!("disabledRules {id:?} → [rules] disable {}", ours.join(", ")),
                );
            } else {
                import.note(
                    at,
                    Level::Unmapped,
                    format!(
                        "disabledRules {id:?}: keysweep has no rule known to be its equivalent"
                    ),
                );
            }
        }
    }
    // Betterleaks' Expr filters.
    for (key, v) in [("prefilter", &raw.prefilter), ("filter", &raw.filter)] {
        if v.is_some() {
            import.note(
                lines.at(lines.key(key, 1, n)),
                Level::Unmapped,
                format!(
                    "global `{key}` (a Betterleaks Expr expression) has no keysweep equivalent"
                ),
            );
        }
    }
    // [[rules]]
    let rule_lines = lines.headers(&["[[rules]]"], 0, n);
    if raw.rules.len() > MAX_RULES {
        bail!(
            "config {shown}: {} rules, over the limit of {MAX_RULES}",
            raw.rules.len()
        );
    }
    let mut targeted: Vec<(String, RawAllowlist, Place)> = Vec::new();
    for (i, rule) in raw.rules.iter().enumerate() {
        let from = rule_lines.get(i).copied().unwrap_or(1);
        let to = rule_lines.get(i + 1).copied().unwrap_or(n + 1);
        if let Some(toml::Value::Table(t)) = value.get("rules").and_then(|r| r.get(i)) {
            for k in t.keys().filter(|k| !RULE_KEYS.contains(&k.as_str())) {
                import.note(
                    lines.at(lines.key(k, from, to)),
                    Level::Unmapped,
                    format!("rule {:?}: unknown key `{k}`, ignored", rule.id),
                );
            }
        }
        import_rule(import, rule, &lines, from, to);
    }
    // Global allowlists.
    let mut globals: Vec<(&RawAllowlist, usize)> = Vec::new();
    if let Some(a) = &raw.allowlist {
        globals.push((
            a,
            lines
                .headers(&["[allowlist]"], 0, n)
                .first()
                .copied()
                .unwrap_or(1),
        ));
    }
    let list_lines = lines.headers(&["[[allowlists]]"], 0, n);
    for (k, a) in raw.allowlists.iter().enumerate() {
        globals.push((a, list_lines.get(k).copied().unwrap_or(1)));
    }
    for (a, line) in globals {
        if !a.targetrules.is_empty() {
            for id in &a.targetrules {
                targeted.push((id.clone(), a.clone(), lines.place(line)));
            }
            continue;
        }
        import_global_allowlist(import, a, &lines, line);
    }
    for (id, a, at) in targeted {
        match import.custom_ids.get(&id).cloned() {
            Some(ours) => {
                let Some(pos) = import.rules.iter().position(|r| r.id == ours) else { continue };
                let mut rule = import.rules[pos].clone();
                let what = rule_allowlist(import, &mut rule, &a, &at);
                import.rules[pos] = rule;
                import.note(at.key("targetrules"), Level::Mapped, format!("[[allowlists]] targetRules {id:?} → rule {ours}: {what}"));
            }
            None => import.note(
                at.key("targetrules"),
                Level::Unmapped,
                format!("[[allowlists]] targetRules {id:?}: keysweep cannot attach an allowlist to a built-in rule; use [allowlist] or a baseline"),
            ),
        }
    }
    Ok(())
}

/// A rule id keysweep accepts: lowercase letters, digits, `-` and `_`.
fn keysweep_id(gitleaks_id: &str) -> String {
    let mut s: String = gitleaks_id
        .chars()
        .take(64)
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    if s.is_empty() {
        s.push_str("rule");
    }
    format!("custom.{s}")
}

fn import_rule(import: &mut Import, rule: &RawRule, lines: &Lines<'_>, from: usize, to: usize) {
    let at = |key: &str| lines.at(lines.key(key, from, to));
    let head = lines.at(from);
    let id = &rule.id;
    if id.is_empty() {
        import.note(head, Level::Unmapped, "a rule without an id");
        return;
    }
    let default_equivalent = ids::keysweep_ids(id);
    let Some(go) = &rule.regex else {
        if rule.path.is_some() {
            import.note(
                head,
                Level::Unmapped,
                format!("rule {id:?} matches file paths only; keysweep rules match content"),
            );
        } else if default_equivalent.is_some()
            || !rule.allowlists.is_empty()
            || rule.allowlist.is_some()
        {
            import.note(
                head,
                Level::Unmapped,
                format!("rule {id:?} has no regex: it extends gitleaks' default rule, and keysweep cannot attach an allowlist to a built-in rule; use [allowlist] or a baseline"),
            );
        } else {
            import.note(head, Level::Unmapped, format!("rule {id:?} has no regex"));
        }
        return;
    };
    let secret_group = match rule.secretgroup {
        None => 0,
        Some(g) if (0..=99).contains(&g) => g as usize,
        Some(g) => {
            import.note(
                at("secretgroup"),
                Level::Unmapped,
                format!("rule {id:?}: secretGroup = {g} is not a group number"),
            );
            return;
        }
    };
    let translated = match goregex::translate(go, Some(secret_group)) {
        Ok(t) => t,
        Err(why) => {
            import.note(
                at("regex"),
                Level::Unmapped,
                format!("rule {id:?}: its regex cannot be translated: {why}"),
            );
            return;
        }
    };
    // Two gitleaks ids may spell one keysweep id (`a.b`, `a-b`): the second gets a number.
    let mut ours = keysweep_id(id);
    let taken = |ours: &str| {
        import
            .custom_ids
            .iter()
            .any(|(theirs, o)| o == ours && theirs != id)
    };
    let base = ours.clone();
    let mut n = 1;
    while taken(&ours) {
        n += 1;
        ours = format!("{base}-{n}");
    }
    let mut keywords: Vec<String> = rule
        .keywords
        .iter()
        .filter(|k| !k.is_empty())
        .map(|k| k.to_ascii_lowercase())
        .collect();
    if keywords.is_empty() {
        match goregex::derive_keywords(&translated.pattern) {
            Some(words) => {
                import.note(at("regex"), Level::Mapped, format!("rule {id:?} has no keywords: keysweep prefilters on the literal(s) every match starts or ends with: {}", words.join(", ")));
                keywords = words;
            }
            None => {
                import.note(
                    head,
                    Level::Unmapped,
                    format!("rule {id:?} has no keywords and its regex no literal to use as one; keysweep rules need keywords (add `keywords` and import again)"),
                );
                return;
            }
        }
    }
    let mut out = OutRule {
        id: ours.clone(),
        name: rule
            .description
            .clone()
            .filter(|d| !d.trim().is_empty())
            .unwrap_or_else(|| id.clone()),
        provider: "custom".into(),
        severity: "medium".into(),
        keywords,
        pattern: translated.pattern,
        entropy: None,
        paths: OutPaths::default(),
        allow: Vec::new(),
    };
    for note in translated.notes {
        import.note(at("regex"), Level::Mapped, format!("rule {id:?}: {note}"));
    }
    if let Some(e) = rule.entropy.filter(|e| *e != 0.0) {
        if (0.0..=8.0).contains(&e) {
            out.entropy = Some(e);
        } else {
            import.note(
                at("entropy"),
                Level::Unmapped,
                format!("rule {id:?}: entropy {e} is outside 0–8 bits per byte"),
            );
        }
    }
    if let Some(p) = &rule.path {
        match goregex::path_globs(p) {
            Ok(globs) => out.paths.include = globs,
            Err(why) => import.note(
                at("path"),
                Level::Unmapped,
                format!("rule {id:?}: path {p:?} has no exact glob ({why}); the rule is imported for every path"),
            ),
        }
    }
    let allow_lines = lines.headers(
        &["[[rules.allowlists]]", "[rules.allowlist]"],
        from,
        to.saturating_sub(1),
    );
    for (k, a) in rule.allowlist.iter().chain(&rule.allowlists).enumerate() {
        let line = allow_lines.get(k).copied().unwrap_or(from);
        let what = rule_allowlist(import, &mut out, a, &lines.place(line));
        import.note(
            lines.at(line),
            Level::Mapped,
            format!("rule {id:?} allowlist → rule {ours}: {what}"),
        );
    }
    if !rule.required.is_empty() {
        import.note(at("required"), Level::Unmapped, format!("rule {id:?}: [[rules.required]] (composite rule): imported without its requirements, so it reports more"));
    }
    if rule.skipreport {
        import.note(
            at("skipreport"),
            Level::Unmapped,
            format!("rule {id:?}: skipReport: keysweep reports what this rule finds"),
        );
    }
    for (key, present) in [
        ("validate", rule.validate.is_some()),
        ("filter", rule.filter.is_some()),
        ("tokenefficiency", rule.tokenefficiency),
    ] {
        if present {
            import.note(
                at(key),
                Level::Unmapped,
                format!("rule {id:?}: Betterleaks `{key}` has no keysweep equivalent"),
            );
        }
    }
    // Compile it as keysweep will: through the rule file parser and the scanner's regex engine.
    let text = toml::to_string(&OutRuleFile {
        rule: std::slice::from_ref(&out),
    })
    .expect("a rule serializes");
    let checked = crate::rules::RuleSet::parse_file(&text, "import")
        .and_then(|mut rules| rules.pop().map(|r| r.compile_all()).unwrap_or(Ok(())));
    if let Err(e) = checked {
        let msg = format!("{e:#}");
        let why = msg
            .rsplit(": ")
            .next()
            .unwrap_or(&msg)
            .lines()
            .next()
            .unwrap_or("")
            .to_string();
        import.note(
            at("regex"),
            Level::Unmapped,
            format!("rule {id:?}: keysweep's regex engine refuses it: {why}"),
        );
        return;
    }
    if let Some(prev) = import.custom_ids.insert(id.clone(), ours.clone()) {
        import.rules.retain(|r| r.id != prev);
        import.note(
            head.clone(),
            Level::Mapped,
            format!("rule {id:?} replaces the extended config's rule of that id"),
        );
    }
    let mut head_note = format!("rule {id:?} → {ours}");
    if let Some(builtin) = default_equivalent {
        head_note.push_str(&format!(
            " (it replaces gitleaks' default rule of that id; keysweep's {} still run: add them to [rules] disable to turn them off)",
            builtin.join(", ")
        ));
    }
    import.note(head, Level::Mapped, head_note);
    import.rules.push(out);
}
