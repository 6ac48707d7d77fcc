//! DER private keys to public keys: PKCS#8, SEC1, PKCS#1 and the traditional DSA form are decoded with the
//! RustCrypto crates (`pkcs8`, `sec1`, `pkcs1`, `p256`, `p384`, `ed25519-dalek`) and their public key is written
//! as a DER SubjectPublicKeyInfo, byte for byte what `openssl pkey -pubout -outform DER` prints.

use pkcs8::der::asn1::{AnyRef, BitStringRef, ObjectIdentifier, OctetStringRef, UintRef};
use pkcs8::der::{Decode, Encode};
use pkcs8::spki::{AlgorithmIdentifierRef, SubjectPublicKeyInfoRef};

use crate::model::{EC_P256, KeyMaterial};

/// `id-ecPublicKey`.
pub(crate) const OID_EC: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
/// `prime256v1` / P-256.
pub(crate) const OID_P256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
/// `secp384r1` / P-384.
pub(crate) const OID_P384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");
/// `secp521r1` / P-521.
pub(crate) const OID_P521: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.35");
/// `secp256k1`.
const OID_K256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.10");
/// `rsaEncryption`.
pub(crate) const OID_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
/// `id-RSASSA-PSS`.
const OID_RSA_PSS: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.10");
/// `id-Ed25519`.
pub(crate) const OID_ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");
/// `id-dsa`.
pub(crate) const OID_DSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10040.4.1");

/// Why DER did not give key material.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum DerError {
    /// Not this structure at all.
    Malformed,
    /// The structure is a private key, but of a kind whose public key we cannot derive.
    Unsupported,
}

type Result<T> = std::result::Result<T, DerError>;

fn malformed<E>(_: E) -> DerError {
    DerError::Malformed
}

/// A SubjectPublicKeyInfo from an algorithm identifier and the public key bits.
pub(crate) fn spki(algorithm: AlgorithmIdentifierRef<'_>, public_key: &[u8]) -> Result<Vec<u8>> {
    SubjectPublicKeyInfoRef {
        algorithm,
        subject_public_key: BitStringRef::from_bytes(public_key).map_err(malformed)?,
    }
    .to_der()
    .map_err(malformed)
}

/// The SPKI of an EC public point on a named curve.
pub(crate) fn ec_spki(curve: ObjectIdentifier, point: &[u8]) -> Result<Vec<u8>> {
    let curve_der = curve.to_der().map_err(malformed)?;
    let params = AnyRef::from_der(&curve_der).map_err(malformed)?;
    spki(
        AlgorithmIdentifierRef {
            oid: OID_EC,
            parameters: Some(params),
        },
        point,
    )
}

/// The algorithm name of a named curve (`ec-p256`, …, else `ec-<oid>`).
pub(crate) fn curve_name(curve: ObjectIdentifier) -> String {
    match curve {
        c if c == OID_P256 => EC_P256.to_string(),
        c if c == OID_P384 => "ec-p384".to_string(),
        c if c == OID_P521 => "ec-p521".to_string(),
        c if c == OID_K256 => "ec-secp256k1".to_string(),
        c => format!("ec-{c}"),
    }
}

/// The first DER element of `bytes`, without what follows it (an armourless body cut from text may run into
/// the next word).
pub(crate) fn first_element(bytes: &[u8]) -> &[u8] {
    use pkcs8::der::{Reader, SliceReader};
    let Ok(mut reader) = SliceReader::new(bytes) else {
        return bytes;
    };
    match AnyRef::decode(&mut reader) {
        Ok(_) => usize::try_from(reader.position()).map_or(bytes, |end| &bytes[..end]),
        Err(_) => bytes,
    }
}

/// The total length the first DER element of `bytes` declares (header included), if its header decodes.
pub(crate) fn declared_len(bytes: &[u8]) -> Option<usize> {
    use pkcs8::der::{Header, SliceReader};
    let reader = SliceReader::new(bytes).ok()?;
    let header = Header::peek(&reader).ok()?;
    let total = (header.encoded_len().ok()? + header.length()).ok()?;
    usize::try_from(total).ok()
}

/// Any DER private key form, tried in turn (for armourless bodies and unknown labels).
pub(crate) fn any(der: &[u8]) -> Result<KeyMaterial> {
    let mut outcome = Err(DerError::Malformed);
    for parse in [pkcs8, sec1, pkcs1, dsa] {
        match parse(der) {
            Ok(k) => return Ok(k),
            Err(DerError::Unsupported) => outcome = Err(DerError::Unsupported),
            Err(DerError::Malformed) => {}
        }
    }
    outcome
}

/// PKCS#8 `PrivateKeyInfo` (`BEGIN PRIVATE KEY`).
pub(crate) fn pkcs8(der: &[u8]) -> Result<KeyMaterial> {
    pkcs8_inner(der).map(|k| k.with_format("pkcs8"))
}

fn pkcs8_inner(der: &[u8]) -> Result<KeyMaterial> {
    let info = pkcs8::PrivateKeyInfoRef::try_from(der).map_err(malformed)?;
    let inner = info.private_key.as_bytes();
    let oid = info.algorithm.oid;
    if oid == OID_EC {
        let curve = info
            .algorithm
            .parameters
            .and_then(|p| p.decode_as::<ObjectIdentifier>().ok());
        return ec_private_key(inner, curve);
    }
    if oid == OID_RSA || oid == OID_RSA_PSS {
        // The SPKI carries the same algorithm identifier (with its PSS parameters, if any).
        let public = rsa_public_key(inner)?;
        return Ok(KeyMaterial::from_spki(
            "rsa",
            spki(info.algorithm, &public)?,
        ));
    }
    if oid == OID_ED25519 {
        let seed = <&OctetStringRef>::from_der(inner).map_err(malformed)?;
        let seed: [u8; 32] = seed.as_bytes().try_into().map_err(malformed)?;
        let public = ed25519_dalek::SigningKey::from_bytes(&seed).verifying_key();
        return Ok(KeyMaterial::from_spki(
            "ed25519",
            spki(info.algorithm, public.as_bytes())?,
        ));
    }
    // Other algorithms (X25519, Ed448, DSA in PKCS#8): only a v2 key that carries its public key gives one.
    match info.public_key {
        Some(public) => {
            let bits = public.as_bytes().ok_or(DerError::Unsupported)?;
            Ok(KeyMaterial::from_spki(
                &format!("pkcs8-{oid}"),
                spki(info.algorithm, bits)?,
            ))
        }
        None => Err(DerError::Unsupported),
    }
}

/// SEC1 `ECPrivateKey` (`BEGIN EC PRIVATE KEY`).
pub(crate) fn sec1(der: &[u8]) -> Result<KeyMaterial> {
    ec_private_key(der, None).map(|k| k.with_format("sec1"))
}

/// An `ECPrivateKey` whose curve comes from the enclosing PKCS#8 or from its own parameters. The public point
/// is derived from the secret scalar for P-256 and P-384, else taken from the key's optional public key field.
fn ec_private_key(der: &[u8], outer_curve: Option<ObjectIdentifier>) -> Result<KeyMaterial> {
    let key = sec1::EcPrivateKey::try_from(der).map_err(malformed)?;
    let curve = outer_curve
        .or_else(|| key.parameters.and_then(|p| p.named_curve()))
        .ok_or(DerError::Unsupported)?;
    let point: Vec<u8> = if curve == OID_P256 {
        let secret = p256::SecretKey::from_slice(key.private_key).map_err(malformed)?;
        let der =
            pkcs8::EncodePublicKey::to_public_key_der(&secret.public_key()).map_err(malformed)?;
        return Ok(KeyMaterial::from_spki(EC_P256, der.as_bytes().to_vec()));
    } else if curve == OID_P384 {
        use p384::elliptic_curve::sec1::ToEncodedPoint;
        let secret = p384::SecretKey::from_slice(key.private_key).map_err(malformed)?;
        secret
            .public_key()
            .to_encoded_point(false)
            .as_bytes()
            .to_vec()
    } else {
        key.public_key.ok_or(DerError::Unsupported)?.to_vec()
    };
    Ok(KeyMaterial::from_spki(
        &curve_name(curve),
        ec_spki(curve, &point)?,
    ))
}

/// The DER `RSAPublicKey` of a PKCS#1 `RSAPrivateKey`.
fn rsa_public_key(der: &[u8]) -> Result<Vec<u8>> {
    let key = pkcs1::RsaPrivateKeyRef::from_der(der).map_err(malformed)?;
    key.public_key().to_der().map_err(malformed)
}

/// The SPKI of an RSA public key given as `RSAPublicKey` DER.
pub(crate) fn rsa_spki(public_key: &[u8]) -> Result<Vec<u8>> {
    spki(
        AlgorithmIdentifierRef {
            oid: OID_RSA,
            parameters: Some(AnyRef::NULL),
        },
        public_key,
    )
}

/// PKCS#1 `RSAPrivateKey` (`BEGIN RSA PRIVATE KEY`).
pub(crate) fn pkcs1(der: &[u8]) -> Result<KeyMaterial> {
    let public = rsa_public_key(der)?;
    Ok(KeyMaterial::from_spki("rsa", rsa_spki(&public)?).with_format("pkcs1"))
}

/// The SPKI of a DSA public key `y` with domain parameters `p`, `q`, `g` (unsigned big-endian integers).
pub(crate) fn dsa_spki(p: &[u8], q: &[u8], g: &[u8], y: &[u8]) -> Result<Vec<u8>> {
    let uint = |b| UintRef::new(b).map_err(malformed);
    let params = vec![uint(p)?, uint(q)?, uint(g)?]
        .to_der()
        .map_err(malformed)?;
    let public = uint(y)?.to_der().map_err(malformed)?;
    spki(
        AlgorithmIdentifierRef {
            oid: OID_DSA,
            parameters: Some(AnyRef::from_der(&params).map_err(malformed)?),
        },
        &public,
    )
}

/// The traditional OpenSSL DSA form (`BEGIN DSA PRIVATE KEY`): `SEQUENCE { 0, p, q, g, y, x }`.
pub(crate) fn dsa(der: &[u8]) -> Result<KeyMaterial> {
    let ints = Vec::<UintRef<'_>>::from_der(der).map_err(malformed)?;
    let [version, p, q, g, y, _x] = ints.as_slice() else {
        return Err(DerError::Malformed);
    };
    if !version.as_bytes().iter().all(|b| *b == 0) {
        return Err(DerError::Malformed);
    }
    Ok(KeyMaterial::from_spki(
        "dsa",
        dsa_spki(p.as_bytes(), q.as_bytes(), g.as_bytes(), y.as_bytes())?,
    )
    .with_format("dsa"))
}
