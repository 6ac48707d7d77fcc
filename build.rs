//! Embeds every `rules/*.toml` file in the binary as the built-in rule set, and each file's TOML converted to
//! JSON here, once, because a cold start parses JSON several times faster than TOML (a file that is not valid
//! TOML has no JSON: loading it reports the TOML error, as for any rule file).

use std::env;
use std::fmt::Write as _;
use std::fs;
use std::path::PathBuf;

fn main() {
    let dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"))
        .join("rules");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut names: Vec<PathBuf> = fs::read_dir(&dir)
        .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    names.retain(|p| p.extension().is_some_and(|e| e == "toml"));
    names.sort();
    let out_dir = PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    let mut json = String::from(
        "/// Each built-in rule file (in the order of `BUILTIN_RULE_FILES`) as JSON, when it is valid TOML.\n\
         pub static BUILTIN_RULE_JSON: &[Option<&str>] = &[\n",
    );
    let mut out = String::from(
        "/// The built-in rule files: (file name, contents).\npub static BUILTIN_RULE_FILES: &[(&str, &str)] = &[\n",
    );
    for p in &names {
        println!("cargo:rerun-if-changed={}", p.display());
        let name = p.file_name().expect("a file").to_string_lossy();
        writeln!(
            out,
            "    ({name:?}, include_str!({:?})),",
            p.display().to_string()
        )
        .expect("write to string");
        let text = fs::read_to_string(p).expect("read a rule file");
        // Only what JSON carries unchanged (not a NaN, which it writes as null).
        let as_json = toml::from_str::<toml::Table>(&text).ok().and_then(|table| {
            let json = serde_json::to_string(&table).ok()?;
            (serde_json::from_str::<toml::Table>(&json).ok()? == table).then_some(json)
        });
        match as_json {
            Some(as_json) => {
                let file = out_dir.join(format!("{name}.json"));
                fs::write(&file, as_json).expect("write a rule file as JSON");
                writeln!(
                    json,
                    "    Some(include_str!({:?})),",
                    file.display().to_string()
                )
            }
            None => writeln!(json, "    None,"),
        }
        .expect("write to string");
    }
    out.push_str("];\n");
    json.push_str("];\n");
    out.push_str(&json);
    let dest = out_dir.join("builtin_rules.rs");
    fs::write(dest, out).expect("write builtin_rules.rs");
}
