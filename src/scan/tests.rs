//! The search plans (anchored starts, windows around keywords) hold to searching every whole blob; typed-in
//! alphabet runs are placeholders; and what the matcher's tests share.

use super::*;
use crate::rules::generate;

/// A small deterministic xorshift generator, so failures reproduce (the matcher's tests share it).
pub(super) struct Rng(pub(super) u64);

impl Rng {
    pub(super) fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    pub(super) fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// What identifies a match, for comparing two scans: rule, match, secret and key id.
type Summary = (usize, Range<usize>, Range<usize>, Option<String>);

fn summary(matches: &[Match]) -> Vec<Summary> {
    matches
        .iter()
        .map(|m| {
            (
                m.rule,
                m.span.clone(),
                m.secret_span.clone(),
                m.key_id.clone(),
            )
        })
        .collect()
}

/// Source-like lines that mention the built-in keywords without being secrets.
const FILLER: &[&str] = &[
    "let token_count = tokens.len();\n",
    "path = os.path.join(root, name)\n",
    "    if (apiKey == null) { throw new Error(\"no api key\"); }\n",
    "SECRET_KEY = os.environ[\"SECRET_KEY\"]\n",
    "user-agent: curl/8.1; -us-east-1 sk skip ghp_ xoxb- AKIA eyJ\n",
    "password: ${DB_PASSWORD}\n",
    "-----BEGIN PUBLIC KEY-----\n",
    "\n",
    "x",
    "tokentokentoken=",
];

/// Every rule's examples and negative examples, expanded.
pub(super) fn examples(rules: &RuleSet) -> Vec<String> {
    rules
        .rules
        .iter()
        .flat_map(|r| r.def.examples.iter().chain(&r.def.negative_examples))
        .map(|e| generate::expand(e).expect("examples expand"))
        .collect()
}

/// Examples packed close together (their windows overlap and merge), glued to filler and to each other,
/// sometimes cut short, in blobs large enough for several lanes.
pub(super) fn example_blob(rng: &mut Rng, examples: &[String]) -> Vec<u8> {
    let mut blob = Vec::new();
    for _ in 0..rng.below(40) + 1 {
        match rng.below(4) {
            0 => blob.extend_from_slice(FILLER[rng.below(FILLER.len())].as_bytes()),
            1 => {
                let e = examples[rng.below(examples.len())].as_bytes();
                blob.extend_from_slice(&e[..rng.below(e.len() + 1)]);
            }
            _ => blob.extend_from_slice(examples[rng.below(examples.len())].as_bytes()),
        }
        if rng.below(3) == 0 {
            blob.push(b"\n \"';=:"[rng.below(7)]);
        }
    }
    blob
}

#[test]
fn plans_find_what_whole_blob_searches_find() {
    let rules = Arc::new(RuleSet::builtin().expect("built-in rules load"));
    let planned = Scanner::new(Arc::clone(&rules)).expect("scanner builds");
    let mut whole = Scanner::new(Arc::clone(&rules)).expect("scanner builds");
    whole.plans = false;
    let examples = examples(&rules);
    let mut rng = Rng(0x0dd_ba11_5eed);
    let mut total = 0;
    for round in 0..300 {
        let blob = example_blob(&mut rng, &examples);
        let id = BlobId::of_bytes(&blob);
        let want = whole.scan(id, &blob);
        let got = planned.scan(id, &blob);
        assert_eq!(
            summary(&got),
            summary(&want),
            "round {round}: {}",
            String::from_utf8_lossy(&blob)
        );
        total += want.len();
    }
    assert!(total > 1000, "the blobs hold many matches ({total})");
}

#[test]
fn typed_in_alphabet_runs_are_placeholders_random_text_is_not() {
    for fake in [
        "abc123xyz-klMnopqrstuvwx",
        "0123456789",
        "sk_FAKE_abcdefg",
        "MNOPQRSTUV",
    ] {
        assert!(has_alphabet_run(fake.as_bytes()), "{fake}");
    }
    // Six in order is not enough, digits do not run on into letters, and repeats are not runs.
    for text in ["abcdef-uvwxyz", "789abcd", "aaaaaaaaaa", "zyxwvutsrq"] {
        assert!(!has_alphabet_run(text.as_bytes()), "{text}");
    }
    let mut rng = Rng(0x5eed);
    const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let random: Vec<u8> = (0..1_000_000).map(|_| BASE62[rng.below(62)]).collect();
    assert!(!has_alphabet_run(&random));
}

/// Hostile input, point 8, on one line: every per-match step (column, snippet, inline allow, key-id context)
/// once cost the length of the line, so 20k tokens on one line took 25 s (2k: about 10 s in a debug build). Now each looks at a bounded stretch:
/// every token is found at its column, each snippet shows its own redaction (centred when it is far along the
/// line) and no other token.
#[test]
fn many_matches_on_one_line_are_found_and_each_snippet_shows_its_own_redaction() {
    const N: usize = 2_000;
    let tokens: Vec<String> = (0..N)
        .map(|i| generate::generate("github-ghp", &format!("one-line-{i}")).expect("generator"))
        .collect();
    // A multi-byte character before each token, so columns (code points) differ from byte offsets.
    let line: String = tokens.iter().map(|t| format!("é={t} ")).collect();
    let text = format!("# fake tokens for a keysweep test\n{line}\n");
    let scanner = Scanner::new(Arc::new(RuleSet::builtin().expect("rules"))).expect("scanner");
    let matches = scanner.scan(BlobId::of_bytes(text.as_bytes()), text.as_bytes());
    assert_eq!(matches.len(), N);
    let width = tokens[0].chars().count() + 3;
    for (i, m) in matches.iter().enumerate() {
        assert_eq!(m.secret.reveal(), Some(tokens[i].as_str()));
        assert_eq!((m.line, m.column), (2, i * width + 3), "token {i}");
        let own = &m.snippet.lines[1];
        assert!(own.contains(&crate::model::redact(&tokens[i])), "{own}");
        assert!(own.chars().count() <= 161, "{own}");
        assert_eq!(own.starts_with('…'), i * width > 100, "token {i}: {own}");
        for line in &m.snippet.lines {
            assert!(!tokens.iter().any(|t| line.contains(t.as_str())), "{line}");
        }
    }
}

/// Issue 13: a Clerk secret key has Stripe's prefix (`sk_live_`), so both rules found it and one secret made two
/// findings. The rule that named it before the secret (`CLERK_SECRET_KEY=`) names it; the same key with no name
/// before it is still Stripe's (its shape is all there is).
#[test]
fn a_clerk_key_assigned_to_a_clerk_name_is_one_clerk_finding_not_also_stripe() {
    let scanner = Scanner::new(Arc::new(RuleSet::builtin().expect("rules"))).expect("scanner");
    let ids = |text: &str| -> Vec<String> {
        scanner
            .scan(BlobId::of_bytes(text.as_bytes()), text.as_bytes())
            .iter()
            .map(|m| scanner.rules.rules[m.rule].id.clone())
            .collect()
    };
    let key = format!(
        "sk_live_{}",
        generate::generate("base62-42", "clerk-vs-stripe").expect("generator")
    );
    assert_eq!(
        ids(&format!("CLERK_SECRET_KEY={key}\n")),
        ["clerk.secret-key"]
    );
    assert_eq!(ids(&format!("SECRET_KEY={key}\n")), ["stripe.secret-key"]);
}
