//! The layering test: reads `src/` and fails when a module imports from a layer above its own, or when modules
//! import each other in a circle. The table below is the architecture of `docs/architecture.md`; a new top-level
//! module must be given a layer here, or the test fails.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Every top-level module with its layer, bottom (0) to top. A module may import only from layers below its own;
/// modules of one layer do not import each other.
const LAYERS: &[(&str, u8)] = &[
    ("model", 0),
    ("sniff", 1),
    ("net", 1),
    ("cli", 1),
    ("display", 1),
    ("config", 2),
    ("keys", 2),
    ("source", 2),
    ("validate", 3),
    ("rules", 4),
    ("scan", 5),
    ("engine", 6),
    ("inventory", 7),
    ("policy", 7),
    ("migrate", 7),
    ("report", 7),
    ("providers", 8),
    ("enrich", 9),
    ("revoke", 9),
    ("cmd", 10),
    ("layers", 11),
];

/// Where a file sits: its top-level module and its module path (`source::git`).
fn module_of(src: &Path, file: &Path) -> (String, Vec<String>) {
    let rel = file.strip_prefix(src).expect("file under src");
    let mut parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    let last = parts.pop().expect("a file name");
    let stem = last.trim_end_matches(".rs");
    if stem != "mod" && stem != "lib" && stem != "main" {
        parts.push(stem.to_string());
    }
    let top = parts.first().cloned().unwrap_or_default();
    (top, parts)
}

/// The `crate::…` paths a file's code (not its comments) names, as module paths up to two segments deep.
fn imports(text: &str, own: &[String]) -> BTreeSet<Vec<String>> {
    let mut out = BTreeSet::new();
    for line in text.lines() {
        let code = line.trim_start();
        if code.starts_with("//") {
            continue;
        }
        let code = code.split(" //").next().unwrap_or(code);
        let mut rest = code;
        while let Some(at) = rest.find("crate::") {
            let after = &rest[at + "crate::".len()..];
            // `use crate::{a, b::c}` names several modules at once.
            let names: Vec<String> = if let Some(group) = after.strip_prefix('{') {
                let end = group.find('}').unwrap_or(group.len());
                group[..end]
                    .split(',')
                    .map(|p| p.trim().replace(' ', ""))
                    .filter(|p| !p.is_empty())
                    .collect()
            } else {
                let end = after
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
                    .unwrap_or(after.len());
                vec![after[..end].to_string()]
            };
            for name in names {
                let path: Vec<String> = name
                    .split("::")
                    .filter(|s| !s.is_empty() && s.starts_with(|c: char| c.is_ascii_lowercase()))
                    .take(2)
                    .map(str::to_string)
                    .collect();
                if !path.is_empty() {
                    out.insert(path);
                }
            }
            rest = after;
        }
        // `super::x` from a file of a module's own: the sibling `x` of the same parent.
        let mut rest = code;
        while let Some(at) = rest.find("super::") {
            let after = &rest[at + "super::".len()..];
            let end = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            let name = &after[..end];
            if own.len() >= 2
                && !name.is_empty()
                && name.starts_with(|c: char| c.is_ascii_lowercase())
            {
                let mut path = own[..own.len() - 1].to_vec();
                path.push(name.to_string());
                out.insert(path.into_iter().take(2).collect());
            }
            rest = after;
        }
    }
    out
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("src is readable") {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Every import edge of the crate: (importing module path, imported module path), at most two segments each.
fn edges() -> BTreeSet<(Vec<String>, Vec<String>)> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut out = BTreeSet::new();
    for file in files {
        let (_, own) = module_of(&src, &file);
        if own.is_empty() {
            continue; // lib.rs and main.rs sit above everything.
        }
        let text = std::fs::read_to_string(&file).expect("source is readable");
        let from: Vec<String> = own.iter().take(2).cloned().collect();
        for to in imports(&text, &own) {
            if to[0] != from[0] || to.len() > 1 && from.len() > 1 && to[1] != from[1] {
                out.insert((from.clone(), to));
            }
        }
    }
    out
}

fn layer(module: &str) -> u8 {
    LAYERS
        .iter()
        .find(|(m, _)| *m == module)
        .map(|(_, l)| *l)
        .unwrap_or_else(|| panic!("module `{module}` has no layer in src/layers.rs"))
}

/// A circle in `graph`, if there is one, as the nodes along it.
fn find_circle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        state: &mut BTreeMap<String, u8>,
        stack: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        state.insert(node.to_string(), 1);
        stack.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            match state.get(next.as_str()) {
                Some(1) => {
                    let at = stack.iter().position(|n| n == next).expect("on the stack");
                    let mut circle = stack[at..].to_vec();
                    circle.push(next.clone());
                    return Some(circle);
                }
                Some(_) => {}
                None => {
                    if let Some(c) = visit(next, graph, state, stack) {
                        return Some(c);
                    }
                }
            }
        }
        stack.pop();
        state.insert(node.to_string(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for node in graph.keys() {
        if !state.contains_key(node.as_str())
            && let Some(c) = visit(node, graph, &mut state, &mut Vec::new())
        {
            return Some(c);
        }
    }
    None
}

#[test]
fn every_module_imports_only_from_layers_below_it() {
    let upward: Vec<String> = edges()
        .into_iter()
        .filter(|(from, to)| from[0] != to[0] && layer(&to[0]) >= layer(&from[0]))
        .map(|(from, to)| {
            format!(
                "{} (layer {}) imports {} (layer {})",
                from.join("::"),
                layer(&from[0]),
                to.join("::"),
                layer(&to[0])
            )
        })
        .collect();
    assert!(
        upward.is_empty(),
        "imports that do not point down:\n{}",
        upward.join("\n")
    );
}

#[test]
fn no_modules_import_each_other_in_a_circle() {
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (from, to) in edges() {
        graph
            .entry(from.join("::"))
            .or_default()
            .insert(to.join("::"));
    }
    if let Some(circle) = find_circle(&graph) {
        panic!(
            "modules import each other in a circle: {}",
            circle.join(" → ")
        );
    }
}

#[test]
fn every_top_level_module_has_a_layer() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let lib = std::fs::read_to_string(src.join("lib.rs")).expect("lib.rs");
    for line in lib.lines() {
        if let Some(name) = line
            .trim()
            .trim_start_matches("pub ")
            .strip_prefix("mod ")
            .map(|n| n.trim_end_matches(';'))
        {
            layer(name);
        }
    }
}

#[test]
fn the_parser_sees_grouped_and_sibling_imports() {
    let text =
        "use crate::{model::Finding, rules::RuleSet};\nuse super::git::x;\n// crate::cmd::run\n";
    let found = imports(text, &["source".into(), "diff".into()]);
    let want: BTreeSet<Vec<String>> = [vec!["model"], vec!["rules"], vec!["source", "git"]]
        .into_iter()
        .map(|p| p.into_iter().map(str::to_string).collect())
        .collect();
    assert_eq!(found, want);
}
