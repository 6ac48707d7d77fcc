//! Example key containers for rule checks and tests (`{{gen:key-pkcs12-…}}`, `{{gen:key-jks-…}}`), written
//! base64 as a CI variable holds them: a PKCS#12 file or Java keystore with the right structure around a real
//! P-256 key (the one `key-p256-pkcs8-pem` gives for the same seed) and a certificate of its public key whose
//! signature, MAC and encrypted parts are random bytes. PKCS#12 comes in DER as OpenSSL writes it, in BER as
//! Windows and Java write it, over 64 KiB (a long chain), with certificates alone, and sealed (everything behind
//! the password). Nothing here opens with a password.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use pkcs8::der::Encode;
use pkcs8::der::asn1::ObjectIdentifier;

use super::seeded::seeded_bytes;

/// One DER element.
fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
    out.extend_from_slice(content);
    out
}

fn seq(parts: &[&[u8]]) -> Vec<u8> {
    tlv(0x30, &parts.concat())
}

fn oid(dotted: &str) -> Vec<u8> {
    ObjectIdentifier::new_unwrap(dotted)
        .to_der()
        .expect("OID encoding")
}

fn octets(content: &[u8]) -> Vec<u8> {
    tlv(0x04, content)
}

/// `[0] EXPLICIT`.
fn explicit(content: &[u8]) -> Vec<u8> {
    tlv(0xA0, content)
}

/// A certificate of `spki` (DER): the fields in place, the signature random.
fn certificate(seed: &str, spki: &[u8]) -> Vec<u8> {
    let ecdsa_sha256 = seq(&[&oid("1.2.840.10045.4.3.2")]);
    let name = seq(&[&tlv(
        0x31,
        &seq(&[&oid("2.5.4.3"), &tlv(0x0C, b"fake-example")]),
    )]);
    let validity = seq(&[&tlv(0x17, b"250101000000Z"), &tlv(0x17, b"350101000000Z")]);
    let tbs = seq(&[
        &explicit(&tlv(0x02, &[2])),
        &tlv(0x02, &seeded_bytes(&format!("{seed} serial"), 8)[..]),
        &ecdsa_sha256,
        &name,
        &validity,
        &name,
        spki,
    ]);
    let mut signature = vec![0];
    signature.extend(seeded_bytes(&format!("{seed} signature"), 70));
    seq(&[&tbs, &ecdsa_sha256, &tlv(0x03, &signature)])
}

/// How a generated PKCS#12 file is written.
#[derive(Clone, Copy, Default)]
struct Shape {
    /// BER as Windows and Java write it: constructed elements of indefinite length and OCTET STRINGs in
    /// chunks (the outer `PFX` keeps a definite length).
    ber: bool,
    /// Certificates of the chain besides the key's own, in the clear (enough of them make a file over 64 KiB).
    chain: usize,
    /// A section encrypted with the password (random bytes), as OpenSSL writes the certificates.
    sealed: bool,
    /// No section in the clear at all: everything is behind the password.
    sealed_only: bool,
}

impl Shape {
    fn tlv(self, tag: u8, content: &[u8]) -> Vec<u8> {
        if self.ber && tag & 0x20 != 0 {
            let mut out = vec![tag, 0x80];
            out.extend_from_slice(content);
            out.extend_from_slice(&[0, 0]);
            out
        } else {
            tlv(tag, content)
        }
    }

    fn seq(self, parts: &[&[u8]]) -> Vec<u8> {
        self.tlv(0x30, &parts.concat())
    }

    fn octets(self, content: &[u8]) -> Vec<u8> {
        if !self.ber {
            return octets(content);
        }
        let chunks: Vec<Vec<u8>> = content.chunks(1000).map(octets).collect();
        self.tlv(0x24, &chunks.concat())
    }

    fn explicit(self, content: &[u8]) -> Vec<u8> {
        self.tlv(0xA0, content)
    }
}

/// A PKCS#12 file: the key in a plain or shrouded key bag, or none; its certificate in the clear, paired by
/// `localKeyId`, and `shape.chain` more; a sealed (random) section if asked; a MAC of random bytes.
fn pkcs12(seed: &str, pkcs8: &[u8], spki: &[u8], key: Option<bool>, shape: Shape) -> Vec<u8> {
    let s = shape;
    let data = oid("1.2.840.113549.1.7.1");
    let key_id = seeded_bytes(&format!("{seed} local key id"), 20);
    let attributes = s.tlv(
        0x31,
        &s.seq(&[
            &oid("1.2.840.113549.1.9.21"),
            &s.tlv(0x31, &s.octets(&key_id)),
        ]),
    );
    let pbes2 = s.seq(&[&oid("1.2.840.113549.1.5.13")]);
    let mut bags = Vec::new();
    match key {
        Some(false) => bags.extend(s.seq(&[
            &oid("1.2.840.113549.1.12.10.1.1"),
            &s.explicit(pkcs8),
            &attributes,
        ])),
        Some(true) => {
            let shrouded = s.seq(&[
                &pbes2,
                &s.octets(&seeded_bytes(&format!("{seed} key"), 144)),
            ]);
            bags.extend(s.seq(&[
                &oid("1.2.840.113549.1.12.10.1.2"),
                &s.explicit(&shrouded),
                &attributes,
            ]));
        }
        None => {}
    }
    let cert_bag = |cert: &[u8], attributes: &[u8]| {
        let value = s.seq(&[
            &oid("1.2.840.113549.1.9.22.1"),
            &s.explicit(&s.octets(cert)),
        ]);
        s.seq(&[
            &oid("1.2.840.113549.1.12.10.1.3"),
            &s.explicit(&value),
            attributes,
        ])
    };
    bags.extend(cert_bag(&certificate(seed, spki), &attributes));
    for i in 0..s.chain {
        let issuer_spki = seeded_bytes(&format!("{seed} chain {i}"), 91);
        bags.extend(cert_bag(
            &certificate(&format!("{seed} chain {i}"), &issuer_spki),
            &[],
        ));
    }
    let plain = s.seq(&[&data, &s.explicit(&s.octets(&s.tlv(0x30, &bags)))]);
    // Sealed alone, the certificate and its chain are behind the password too.
    let sealed_len = if s.sealed_only {
        900 + s.chain * 400
    } else {
        96
    };
    let sealed_content = s.seq(&[
        &data,
        &pbes2,
        &tlv(0x80, &seeded_bytes(&format!("{seed} sealed"), sealed_len)),
    ]);
    let sealed = s.seq(&[
        &oid("1.2.840.113549.1.7.6"),
        &s.explicit(&s.seq(&[&tlv(0x02, &[0]), &sealed_content])),
    ]);
    let auth_safe = match (s.sealed_only, s.sealed) {
        (true, _) => s.seq(&[&sealed]),
        (false, true) => s.seq(&[&plain, &sealed]),
        (false, false) => s.seq(&[&plain]),
    };
    let mac = s.seq(&[
        &s.seq(&[
            &s.seq(&[&oid("2.16.840.1.101.3.4.2.1"), &[0x05, 0x00]]),
            &s.octets(&seeded_bytes(&format!("{seed} mac"), 32)),
        ]),
        &s.octets(&seeded_bytes(&format!("{seed} salt"), 8)),
        &tlv(0x02, &[0x08, 0x00]),
    ]);
    seq(&[
        &tlv(0x02, &[3]),
        &s.seq(&[&data, &s.explicit(&s.octets(&auth_safe))]),
        &mac,
    ])
}

/// A JKS or JCEKS keystore: a private key entry (its key random bytes, its chain the certificate) or, for a
/// trust store, a trusted certificate entry; then a random digest.
fn keystore(seed: &str, magic: [u8; 4], spki: &[u8], private: bool) -> Vec<u8> {
    let cert = certificate(seed, spki);
    let mut out = magic.to_vec();
    out.extend_from_slice(&2u32.to_be_bytes());
    out.extend_from_slice(&1u32.to_be_bytes());
    out.extend_from_slice(&(if private { 1u32 } else { 2 }).to_be_bytes());
    out.extend_from_slice(&7u16.to_be_bytes());
    out.extend_from_slice(b"example");
    out.extend_from_slice(&1_735_689_600_000u64.to_be_bytes());
    if private {
        let key = seeded_bytes(&format!("{seed} key"), 160);
        out.extend_from_slice(&(key.len() as u32).to_be_bytes());
        out.extend_from_slice(&key);
        out.extend_from_slice(&1u32.to_be_bytes());
    }
    out.extend_from_slice(&5u16.to_be_bytes());
    out.extend_from_slice(b"X.509");
    out.extend_from_slice(&(cert.len() as u32).to_be_bytes());
    out.extend_from_slice(&cert);
    out.extend(seeded_bytes(&format!("{seed} digest"), 20));
    out
}

/// How OpenSSL writes a bundle: DER, the certificates in a section encrypted with the password.
const SEALED: Shape = Shape {
    ber: false,
    chain: 0,
    sealed: true,
    sealed_only: false,
};

/// The named container, as bytes; `None` for another name.
pub(crate) fn container(name: &str, seed: &str, pkcs8: &[u8], spki: &[u8]) -> Option<Vec<u8>> {
    Some(match name {
        "key-pkcs12-certs-only" => pkcs12(seed, pkcs8, spki, None, Shape::default()),
        name if name.starts_with("key-pkcs12") => {
            // `key-pkcs12[-encrypted|-sealed][-ber|-large]`.
            let (name, shape) = if let Some(base) = name.strip_suffix("-ber") {
                (
                    base,
                    Shape {
                        ber: true,
                        chain: 2,
                        ..SEALED
                    },
                )
            } else if let Some(base) = name.strip_suffix("-large") {
                (
                    base,
                    Shape {
                        chain: 200,
                        ..SEALED
                    },
                )
            } else {
                (name, SEALED)
            };
            match name {
                "key-pkcs12" => pkcs12(seed, pkcs8, spki, Some(false), shape),
                "key-pkcs12-encrypted" => pkcs12(seed, pkcs8, spki, Some(true), shape),
                "key-pkcs12-sealed" => pkcs12(
                    seed,
                    pkcs8,
                    spki,
                    None,
                    Shape {
                        sealed_only: true,
                        ..shape
                    },
                ),
                _ => return None,
            }
        }
        "key-jks" => keystore(seed, super::container::JKS_MAGIC, spki, true),
        "key-jceks" => keystore(seed, super::container::JCEKS_MAGIC, spki, true),
        "key-jks-truststore" => keystore(seed, super::container::JKS_MAGIC, spki, false),
        _ => return None,
    })
}

/// The named container in base64, wrapped at 76 columns as `base64(1)` writes it.
pub(crate) fn container_base64(
    name: &str,
    seed: &str,
    pkcs8: &[u8],
    spki: &[u8],
) -> Option<String> {
    let text = STANDARD.encode(container(name, seed, pkcs8, spki)?);
    Some(
        text.as_bytes()
            .chunks(76)
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect::<Vec<_>>()
            .join("\n"),
    )
}
