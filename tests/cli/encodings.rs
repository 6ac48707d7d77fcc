//! Secrets not written as plain text, through the real binary: UTF-16 files (in a tree and in history), base64
//! values near a trigger word (a Kubernetes `Secret`, a `*_B64` variable, a value wrapped at 76 columns), and
//! members of archives (zip and jar, tar.gz, bare gzip, nested archives; named `archive!member`, the Key ID
//! still read from a member's file name; in history too). Every key and token is FAKE, generated at test time.

use std::io::Write;

use base64::Engine as _;
use serde_json::Value;

use crate::support::fakekeys::{ghp, p256_pem};
use crate::support::repo::{TestRepo, git};
use crate::support::{keysweep, scan_json as scan};

fn b64(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(s)
}

fn utf16le_with_bom(s: &str) -> Vec<u8> {
    let mut out = vec![0xFF, 0xFE];
    out.extend(s.encode_utf16().flat_map(u16::to_le_bytes));
    out
}

fn utf16be(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(u16::to_be_bytes).collect()
}

fn zip_of(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, data) in files {
        w.start_file(*name, zip::write::SimpleFileOptions::default())
            .expect("zip entry");
        w.write_all(data).expect("zip write");
    }
    w.finish().expect("zip finish").into_inner()
}

fn tar_gz_of(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (name, data) in files {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        b.append_data(&mut h, name, *data).expect("tar entry");
    }
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&b.into_inner().expect("tar finish"))
        .expect("gzip write");
    gz.finish().expect("gzip finish")
}

/// `(path, line, column, encoding)` of every location of the finding whose secret is `secret`.
fn locations_of(
    report: &Value,
    rule: &str,
    secret: &str,
) -> Vec<(String, u64, u64, Option<String>)> {
    let findings = report["findings"].as_array().expect("findings");
    let f = findings
        .iter()
        .find(|f| f["rule_id"] == rule && f["secret"] == secret)
        .unwrap_or_else(|| panic!("no {rule} finding for the secret in {report:#}"));
    f["locations"]
        .as_array()
        .expect("locations")
        .iter()
        .map(|l| {
            (
                l["path"].as_str().expect("path").to_string(),
                l["line"].as_u64().expect("line"),
                l["column"].as_u64().expect("column"),
                l["encoding"].as_str().map(str::to_string),
            )
        })
        .collect()
}

#[test]
fn utf16_files_are_matched_as_text_with_their_lines_and_columns() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (a, b) = (ghp("utf16-a"), ghp("utf16-b"));
    // A PowerShell profile saved by a Windows editor (UTF-16 LE with a mark), and a BE file without one.
    let ps1 = format!("# FAKE example\r\n$env:GH_TOKEN = \"{a}\"\r\nWrite-Host 'é'\r\n");
    std::fs::write(dir.path().join("profile.ps1"), utf16le_with_bom(&ps1)).expect("write");
    std::fs::write(
        dir.path().join("settings.reg"),
        utf16be(&format!("token={b}\n")),
    )
    .expect("write");
    let (code, report) = scan(dir.path(), &["--show-secrets", "."]);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(
        locations_of(&report, "github.pat", &a),
        vec![("profile.ps1".to_string(), 2, 18, None)]
    );
    assert_eq!(
        locations_of(&report, "github.pat", &b),
        vec![("settings.reg".to_string(), 1, 7, None)]
    );
    assert_eq!(report["summary"]["skipped"]["binary"], 0);
}

#[test]
fn utf16_files_in_history_are_matched() {
    let repo = TestRepo::new();
    let t = ghp("utf16-history");
    repo.write(
        "deploy.ps1",
        utf16le_with_bom(&format!("$t = '{t}' # FAKE\r\n")),
    );
    repo.commit(0, "add");
    repo.remove("deploy.ps1");
    repo.commit(1, "remove");
    let (code, report) = scan(repo.path(), &["--history", "--show-secrets", "."]);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(
        locations_of(&report, "github.pat", &t),
        vec![("deploy.ps1".to_string(), 1, 7, None)]
    );
}

#[test]
fn base64_values_near_a_trigger_are_decoded_and_placed_where_written() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (k8s, ci, plain) = (ghp("b64-k8s"), ghp("b64-ci"), ghp("b64-plain"));
    // A Kubernetes Secret: the trigger (`kind: Secret`) comes after the data it covers.
    let manifest = format!(
        "# FAKE example\napiVersion: v1\ndata:\n  GH_TOKEN: {}\n  OTHER: {}\nkind: Secret\n",
        b64(&k8s),
        b64(&plain)
    );
    std::fs::write(dir.path().join("secret.yaml"), manifest).expect("write");
    // A CI variable named *_B64, and the same token as plain text elsewhere: one finding, two locations.
    std::fs::write(
        dir.path().join("ci.env"),
        format!("GH_TOKEN_B64={}\n", b64(&ci)),
    )
    .expect("write");
    std::fs::write(dir.path().join("plain.env"), format!("GH_TOKEN={plain}\n")).expect("write");
    let (code, report) = scan(dir.path(), &["--show-secrets", "."]);
    assert_eq!(code, 1, "{report:#}");
    let encoded = Some("base64".to_string());
    assert_eq!(
        locations_of(&report, "github.pat", &k8s),
        vec![("secret.yaml".to_string(), 4, 13, encoded.clone())]
    );
    assert_eq!(
        locations_of(&report, "github.pat", &ci),
        vec![("ci.env".to_string(), 1, 14, encoded.clone())]
    );
    assert_eq!(
        locations_of(&report, "github.pat", &plain),
        vec![
            ("plain.env".to_string(), 1, 10, None),
            ("secret.yaml".to_string(), 5, 10, encoded)
        ]
    );
    // Human output says how the secret is written, and never shows it.
    let out = keysweep()
        .current_dir(dir.path())
        .args(["scan", "ci.env"])
        .output()
        .expect("keysweep runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("ci.env:1:14 (base64-encoded)"), "{text}");
    assert!(!text.contains(&ci) && !text.contains(&b64(&ci)), "{text}");
}

#[test]
fn basic_credentials_and_npm_auth_are_decoded() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (header, npm) = (ghp("b64-basic"), ghp("b64-npmrc"));
    // A token as the password of HTTP basic credentials (as actions/checkout's extraheader carries it).
    let script = format!(
        "# FAKE example\ngit -c http.extraheader=\"AUTHORIZATION: basic {}\" fetch\n",
        b64(&format!("x-access-token:{header}"))
    );
    std::fs::write(dir.path().join("fetch.sh"), script).expect("write");
    std::fs::write(
        dir.path().join(".npmrc"),
        format!("_auth={}\n", b64(&format!("ci:{npm}"))),
    )
    .expect("write");
    let (code, report) = scan(dir.path(), &["--show-secrets", "."]);
    assert_eq!(code, 1, "{report:#}");
    let encoded = Some("base64".to_string());
    assert_eq!(
        locations_of(&report, "github.pat", &header),
        vec![("fetch.sh".to_string(), 2, 67, encoded.clone())]
    );
    assert_eq!(
        locations_of(&report, "github.pat", &npm),
        vec![(".npmrc".to_string(), 1, 11, encoded)]
    );
}

#[test]
fn a_wrapped_base64_value_is_joined_and_its_secret_placed_on_its_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    let t = ghp("b64-wrapped");
    // `base64` wraps at 76 columns; the token lands on the second line of the value.
    let doc = format!(
        "FAKE example configuration, long enough that the token is encoded past the first line. token={t}\n"
    );
    let encoded = b64(&doc);
    let lines: Vec<&str> = encoded
        .as_bytes()
        .chunks(76)
        .map(|c| std::str::from_utf8(c).expect("ascii"))
        .collect();
    assert!(lines.len() >= 3);
    let yaml = format!("CONFIG_BASE64: |\n  {}\nnext: 1\n", lines.join("\n  "));
    std::fs::write(dir.path().join("values.yaml"), yaml).expect("write");
    let (code, report) = scan(dir.path(), &["--show-secrets", "."]);
    assert_eq!(code, 1, "{report:#}");
    let at = doc.find("ghp_").expect("token") / 3 * 4;
    assert_eq!(
        locations_of(&report, "github.pat", &t),
        vec![(
            "values.yaml".to_string(),
            2 + (at / 76) as u64,
            3 + (at % 76) as u64,
            Some("base64".to_string())
        )]
    );
}

#[test]
fn base64_of_placeholders_and_of_binary_is_not_a_finding() {
    let dir = tempfile::tempdir().expect("temp dir");
    let binary: Vec<u8> = (0..64u8).map(|i| i.wrapping_mul(37) ^ 0x80).collect();
    let text = format!(
        "kind: Secret\ndata:\n  a: {}\n  b: {}\n",
        b64("ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"),
        base64::engine::general_purpose::STANDARD.encode(binary)
    );
    std::fs::write(dir.path().join("secret.yaml"), text).expect("write");
    let (code, report) = scan(dir.path(), &["."]);
    assert_eq!(code, 0, "{report:#}");
}

/// Every `(rule id, path!member, line)` of the report, sorted (`path` alone outside archives).
fn sightings(report: &Value) -> Vec<(String, String, u64)> {
    let mut out: Vec<(String, String, u64)> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .flat_map(|f| {
            f["locations"]
                .as_array()
                .expect("locations")
                .iter()
                .map(move |l| {
                    (
                        f["rule_id"].as_str().expect("rule id").to_string(),
                        match l["member"].as_str() {
                            Some(m) => format!("{}!{m}", l["path"].as_str().expect("path")),
                            None => l["path"].as_str().expect("path").to_string(),
                        },
                        l["line"].as_u64().expect("line"),
                    )
                })
        })
        .collect();
    out.sort();
    out
}

#[test]
fn members_of_zip_tar_gz_gzip_and_nested_archives_are_matched_and_named() {
    let dir = tempfile::tempdir().expect("temp dir");
    let key = p256_pem("zip");
    let (t1, t2, t3) = (ghp("arch-jar"), ghp("arch-tgz"), ghp("arch-gz"));
    std::fs::write(
        dir.path().join("AppStoreKeys.zip"),
        zip_of(&[
            ("keys/AuthKey_ZX9R4HXF34.p8", key.as_bytes()),
            ("README.txt", b"FAKE example\n"),
        ]),
    )
    .expect("write");
    let props = format!("# FAKE example\ngithub.token={t1}\n");
    let jar = zip_of(&[
        ("META-INF/MANIFEST.MF", b"Manifest-Version: 1.0\n"),
        ("application.properties", props.as_bytes()),
    ]);
    // The jar inside a release zip: members of nested archives are named down the chain.
    std::fs::write(
        dir.path().join("release.zip"),
        zip_of(&[("lib/app.jar", &jar)]),
    )
    .expect("write");
    let env = format!("\n\nGH_TOKEN={t2}\n");
    std::fs::write(
        dir.path().join("deploy.tar.gz"),
        tar_gz_of(&[("app/.env", env.as_bytes())]),
    )
    .expect("write");
    let mut gz = flate2::GzBuilder::new()
        .filename("ci.log")
        .write(Vec::new(), flate2::Compression::default());
    gz.write_all(format!("FAKE log\ntoken {t3}\n").as_bytes())
        .expect("gzip write");
    std::fs::write(
        dir.path().join("ci.log.gz"),
        gz.finish().expect("gzip finish"),
    )
    .expect("write");
    let (code, report) = scan(dir.path(), &["."]);
    assert_eq!(code, 1, "{report:#}");
    let s = |rule: &str, path: &str, line: u64| (rule.to_string(), path.to_string(), line);
    assert_eq!(
        sightings(&report),
        vec![
            s(
                "app-store-connect.p8",
                "AppStoreKeys.zip!keys/AuthKey_ZX9R4HXF34.p8",
                1
            ),
            s("github.pat", "ci.log.gz!ci.log", 2),
            s("github.pat", "deploy.tar.gz!app/.env", 3),
            s(
                "github.pat",
                "release.zip!lib/app.jar!application.properties",
                2
            ),
        ]
    );
    let p8 = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["rule_id"] == "app-store-connect.p8")
        .expect("the p8 finding");
    assert_eq!(
        p8["key"]["key_id"], "ZX9R4HXF34",
        "the Key ID comes from the member's file name"
    );
    assert_eq!(report["summary"]["skipped"]["binary"], 0);
    // From standard input the archive is `-`.
    let out = keysweep()
        .args(["scan", "-", "-f", "jsonl"])
        .write_stdin(std::fs::read(dir.path().join("AppStoreKeys.zip")).expect("read"))
        .output()
        .expect("keysweep runs");
    let line: Value = serde_json::from_slice(&out.stdout).expect("one JSON line");
    assert_eq!(line["locations"][0]["path"], "-");
    assert_eq!(line["locations"][0]["member"], "keys/AuthKey_ZX9R4HXF34.p8");
    // Annotations and SARIF point at the archive as a whole (its lines are the member's) and name the member.
    let run = |format: &str| {
        let out = keysweep()
            .current_dir(dir.path())
            .args(["scan", "release.zip", "-f", format])
            .output()
            .expect("keysweep runs");
        String::from_utf8(out.stdout).expect("UTF-8")
    };
    let annotations = run("github");
    assert!(
        annotations.contains("file=release.zip,title="),
        "{annotations}"
    );
    assert!(
        annotations.contains("In archive member lib/app.jar!application.properties, line 2."),
        "{annotations}"
    );
    let sarif: Value = serde_json::from_str(&run("sarif")).expect("SARIF is JSON");
    let location = &sarif["runs"][0]["results"][0]["locations"][0];
    assert_eq!(
        location["physicalLocation"]["artifactLocation"]["uri"],
        "release.zip"
    );
    assert!(
        location["physicalLocation"]["region"].is_null(),
        "{location:#}"
    );
    assert_eq!(
        location["properties"]["member"],
        "lib/app.jar!application.properties"
    );
}

/// `(where, message)` of every error of the report.
fn errors(report: &Value) -> Vec<(String, String)> {
    report["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| {
            let s = |k: &str| e[k].as_str().expect("an error field").to_string();
            (s("where"), s("message"))
        })
        .collect()
}

#[test]
fn a_corrupt_archive_is_an_error_naming_it_and_a_committed_one_is_found_in_history() {
    let dir = tempfile::tempdir().expect("temp dir");
    let t = ghp("arch-history");
    let good = zip_of(&[(
        "settings.json",
        format!("{{\"token\": \"{t}\"}} // FAKE").as_bytes(),
    )]);
    // Cut before its central directory, the zip opens no member: an error that names it (its bytes, compressed,
    // are matched as text and hold nothing).
    std::fs::write(dir.path().join("broken.zip"), &good[..good.len() / 3]).expect("write");
    let (code, report) = scan(dir.path(), &["."]);
    assert_eq!(code, 2, "{report:#}");
    let errors = errors(&report);
    assert_eq!(errors.len(), 1, "{report:#}");
    assert_eq!(errors[0].0, "broken.zip");
    assert!(
        errors[0].1.starts_with("not a readable zip archive ("),
        "{report:#}"
    );
    std::fs::remove_file(dir.path().join("broken.zip")).expect("remove");
    let repo = TestRepo::init(dir.path());
    repo.write("backup.zip", &good);
    repo.commit(0, "add a backup");
    repo.remove("backup.zip");
    repo.commit(1, "remove it");
    let (code, report) = scan(dir.path(), &["--history", "."]);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(
        sightings(&report),
        vec![(
            "github.pat".to_string(),
            "backup.zip!settings.json".to_string(),
            1
        )]
    );
    assert_eq!(report["findings"][0]["locations"][0]["in_head"], false);
}

#[test]
fn text_with_zip_magic_that_is_not_a_zip_is_still_scanned() {
    // Two bytes of a magic number used to hide the whole file (exit 0). Its bytes are matched as text, and the
    // archive that would not open is an error naming the file.
    let dir = tempfile::tempdir().expect("temp dir");
    let mut tar_like = vec![b'#'; 257];
    tar_like.extend_from_slice(b"ustar\n");
    let heads: [(&str, &[u8]); 6] = [
        ("zip.txt", b"PK\x03\x04"),
        ("gzip.txt", b"\x1f\x8b"),
        ("xz.txt", b"\xfd7zXZ\x00"),
        ("zstd.txt", b"\x28\xb5\x2f\xfd"),
        ("bzip2.txt", b"BZh91AY&SY"),
        ("tar.txt", &tar_like),
    ];
    for (name, head) in heads {
        let mut bytes = head.to_vec();
        bytes.extend_from_slice(format!("\ntoken = {}\n", ghp(name)).as_bytes());
        std::fs::write(dir.path().join(name), bytes).expect("write");
    }
    let (code, report) = scan(dir.path(), &["."]);
    assert_eq!(code, 2, "{report:#}");
    let found: Vec<String> = sightings(&report).into_iter().map(|(_, p, _)| p).collect();
    assert_eq!(
        found,
        [
            "bzip2.txt",
            "gzip.txt",
            "tar.txt",
            "xz.txt",
            "zip.txt",
            "zstd.txt"
        ]
    );
    let errors = errors(&report);
    let named: Vec<&str> = errors.iter().map(|(w, _)| w.as_str()).collect();
    assert_eq!(named, found);
    for ((path, message), kind) in errors
        .iter()
        .zip(["bzip2", "gzip", "tar", "xz", "zip", "zstd"])
    {
        assert!(
            message.starts_with(&format!("not a readable {kind} archive (")),
            "{path}: {message}"
        );
    }
}

/// A zstd frame of 1 GiB of zeros in 32 KiB: run-length blocks of 128 KiB, a few bytes each.
fn zstd_bomb() -> Vec<u8> {
    let mut out = vec![0x28, 0xb5, 0x2f, 0xfd, 0x00, 7 << 3];
    let blocks = 8192u32;
    for i in 0..blocks {
        let header = (128u32 << 10) << 3 | 1 << 1 | u32::from(i + 1 == blocks);
        out.extend_from_slice(&header.to_le_bytes()[..3]);
        out.push(0);
    }
    out
}

#[test]
fn a_compressed_member_over_the_cap_is_counted_too_large_in_trees_and_the_index() {
    // A bomb is read up to the member cap (as a stream, so memory stays near the cap), then skipped and counted,
    // in a tree scan and in `--staged` alike; `-v` names it.
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("dump.zst"), zstd_bomb()).expect("write");
    let out = keysweep()
        .current_dir(dir.path())
        .args(["scan", "-f", "json", "-v", "."])
        .output()
        .expect("keysweep runs");
    let report: Value = serde_json::from_slice(&out.stdout).expect("a JSON report");
    assert_eq!(out.status.code(), Some(0), "{report:#}");
    assert_eq!(report["summary"]["skipped"]["too_large"], 1, "{report:#}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("skipped dump.zst: too large"), "{stderr}");
    git(dir.path(), &["init", "-q"]);
    git(dir.path(), &["add", "dump.zst"]);
    let (code, report) = scan(dir.path(), &["--staged"]);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["summary"]["skipped"]["too_large"], 1, "{report:#}");
}

/// Hostile input, point 15: `--max-file-size` governs archive members too, not only files: a 2 MiB member is
/// read under the default cap and skipped (counted, named under `-v`) under `--max-file-size 1MiB`, however
/// small the archive holding it.
#[test]
fn max_file_size_is_the_member_cap_of_archives() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut big = format!("GITHUB_TOKEN={}\n", ghp("member-cap")).into_bytes();
    big.resize(2 << 20, b'\n');
    std::fs::write(
        dir.path().join("bundle.tar.gz"),
        tar_gz_of(&[("conf/app.env", &big)]),
    )
    .expect("write");
    let (code, report) = scan(dir.path(), &[]);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(
        report["findings"][0]["locations"][0]["member"],
        "conf/app.env"
    );
    let out = keysweep()
        .current_dir(dir.path())
        .args(["scan", "-f", "json", "-v", "--max-file-size", "1MiB", "."])
        .output()
        .expect("keysweep runs");
    let report: Value = serde_json::from_slice(&out.stdout).expect("a JSON report");
    assert_eq!(out.status.code(), Some(0), "{report:#}");
    assert_eq!(report["summary"]["skipped"]["too_large"], 1, "{report:#}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("bundle.tar.gz!conf/app.env"), "{stderr}");
}
