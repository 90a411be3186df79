//! Field encryption cost: `PracticeKeys::seal` / `open` against bare aws-lc-rs AES-256-GCM with
//! the same key type (`RandomizedNonceKey`, random 96-bit nonces) and an associated-data string
//! of the same length, measured in one run so machine load affects both sides alike. The gap is
//! what Enamel adds: building the bound associated data, the header, and zeroizing buffers.

use std::hint::black_box;
use std::time::{Duration, Instant};

use aws_lc_rs::aead::{AES_256_GCM, Aad, NONCE_LEN, Nonce, RandomizedNonceKey};
use enamel_crypto::{BlindIndexKey, FieldKey, PracticeKeys, SecretKey32};

const SIZES: [(usize, &str); 4] = [
    (16, "16 B"),
    (64, "64 B"),
    (1024, "1 KiB"),
    (16 * 1024, "16 KiB"),
];
const PRACTICE: &str = "0190a0c4-practice";
const TABLE: &str = "patients";
const COLUMN: &str = "family_name";
const ROW: &str = "0190a0c4-5b7e-7c3a-9f00-1234567890ab";
/// Checking the clock every call would weigh on the 16-byte cases.
const BATCH: u64 = 32;

/// Runs every case for about `seconds_per_case` and returns a Markdown table.
pub fn run(seconds_per_case: f64) -> String {
    match run_inner(Duration::from_secs_f64(seconds_per_case.max(0.01))) {
        Ok(table) => table,
        Err(e) => format!("crypto benchmark failed: {e}\n"),
    }
}

struct Rate {
    fields_per_s: f64,
    mb_per_s: f64,
}

fn measure(
    budget: Duration,
    size: usize,
    mut op: impl FnMut() -> Result<(), String>,
) -> Result<Rate, String> {
    // A short warm-up so the first case does not pay for page faults and lazy initialisation.
    for _ in 0..BATCH {
        op()?;
    }
    let start = Instant::now();
    let mut done: u64 = 0;
    loop {
        for _ in 0..BATCH {
            op()?;
        }
        done += BATCH;
        let elapsed = start.elapsed();
        if elapsed >= budget {
            let secs = elapsed.as_secs_f64();
            let fields_per_s = done as f64 / secs;
            return Ok(Rate {
                fields_per_s,
                mb_per_s: fields_per_s * size as f64 / 1e6,
            });
        }
    }
}

/// The associated data PracticeKeys binds: domain, four length-prefixed parts, version.
fn comparable_aad() -> Vec<u8> {
    let mut aad = b"enamel-field-v1".to_vec();
    for part in [PRACTICE, TABLE, COLUMN, ROW] {
        aad.extend_from_slice(&(part.len() as u32).to_be_bytes());
        aad.extend_from_slice(part.as_bytes());
    }
    aad.extend_from_slice(&1u32.to_be_bytes());
    aad
}

fn raw_seal(key: &RandomizedNonceKey, aad: &[u8], plain: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(NONCE_LEN + plain.len() + 16);
    out.extend_from_slice(&[0u8; NONCE_LEN]);
    out.extend_from_slice(plain);
    let (nonce, tag) = key
        .seal_in_place_separate_tag(Aad::from(aad), &mut out[NONCE_LEN..])
        .map_err(|_| "raw seal failed".to_string())?;
    out[..NONCE_LEN].copy_from_slice(nonce.as_ref());
    out.extend_from_slice(tag.as_ref());
    Ok(out)
}

fn raw_open(key: &RandomizedNonceKey, aad: &[u8], sealed: &[u8]) -> Result<Vec<u8>, String> {
    let (nonce, body) = sealed.split_at(NONCE_LEN);
    let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| "bad nonce".to_string())?;
    let mut buf = body.to_vec();
    let len = key
        .open_in_place(nonce, Aad::from(aad), &mut buf)
        .map_err(|_| "raw open failed".to_string())?
        .len();
    buf.truncate(len);
    Ok(buf)
}

fn run_inner(budget: Duration) -> Result<String, String> {
    let err = |e: enamel_crypto::CryptoError| e.to_string();
    let field_secret = SecretKey32::generate().map_err(err)?;
    let raw_key = RandomizedNonceKey::new(&AES_256_GCM, field_secret.expose_secret_danger())
        .map_err(|_| "raw key rejected".to_string())?;
    let mut keys = PracticeKeys::new(
        PRACTICE.to_string(),
        BlindIndexKey::new(&SecretKey32::generate().map_err(err)?),
    );
    keys.insert_field_key(FieldKey::new(1, &field_secret).map_err(err)?);
    keys.set_active(1).map_err(err)?;
    let aad = comparable_aad();

    let mut out = String::from(
        "| Field size | Operation | Raw aws-lc-rs fields/s | Raw MB/s | Enamel fields/s | Enamel MB/s | Enamel / raw |\n\
         |---|---|---:|---:|---:|---:|---:|\n",
    );
    for (size, label) in SIZES {
        let plain: Vec<u8> = (0..size).map(|i| (i % 251) as u8).collect();

        let raw = measure(budget, size, || {
            black_box(raw_seal(&raw_key, black_box(&aad), black_box(&plain))?);
            Ok(())
        })?;
        let enamel = measure(budget, size, || {
            black_box(
                keys.seal(TABLE, COLUMN, black_box(ROW), black_box(&plain))
                    .map_err(err)?,
            );
            Ok(())
        })?;
        row(&mut out, label, "seal", &raw, &enamel);

        let raw_sealed = raw_seal(&raw_key, &aad, &plain)?;
        let sealed = keys.seal(TABLE, COLUMN, ROW, &plain).map_err(err)?;
        if raw_open(&raw_key, &aad, &raw_sealed)? != plain
            || keys
                .open(TABLE, COLUMN, ROW, &sealed)
                .map_err(err)?
                .as_slice()
                != plain.as_slice()
        {
            return Err("a round trip did not return the plaintext".into());
        }
        let raw = measure(budget, size, || {
            black_box(raw_open(&raw_key, black_box(&aad), black_box(&raw_sealed))?);
            Ok(())
        })?;
        let enamel = measure(budget, size, || {
            black_box(
                keys.open(TABLE, COLUMN, black_box(ROW), black_box(&sealed))
                    .map_err(err)?,
            );
            Ok(())
        })?;
        row(&mut out, label, "open", &raw, &enamel);
    }
    Ok(out)
}

fn row(out: &mut String, size: &str, op: &str, raw: &Rate, enamel: &Rate) {
    let ratio = if raw.fields_per_s > 0.0 {
        enamel.fields_per_s / raw.fields_per_s * 100.0
    } else {
        0.0
    };
    out.push_str(&format!(
        "| {size} | {op} | {:.0} | {:.1} | {:.0} | {:.1} | {ratio:.0} % |\n",
        raw.fields_per_s, raw.mb_per_s, enamel.fields_per_s, enamel.mb_per_s
    ));
}
