use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, RwLock, RwLockReadGuard};
use std::time::{Duration, Instant};

use crate::kek::Kek;
use crate::key_file::{self, KeySet};
use crate::secret::{fill_random, to_hex};
use crate::secure_file::{create_private, read_private, replace_private};
use crate::{CryptoError, KeyProvider, SecretKey32, WrappedKey};

/// How often, at most, a wrapped key naming an unknown KEK makes the file be read again.
const REREAD_EVERY: Duration = Duration::from_secs(5);

/// KEKs kept in a local JSON file readable only by the server's user.
///
/// The file may hold several KEKs so that one can be rotated in while data keys wrapped under
/// older ones still unwrap; exactly one is active for new wraps. Every change rewrites the file
/// atomically.
///
/// A running server follows `enamel keys rotate --kek` done by another process: a wrapped key
/// naming a KEK this provider does not hold makes it read the file again (at most every
/// [`REREAD_EVERY`]), and every wrap reads it first, so a new data key is never wrapped under
/// a KEK the file no longer has.
pub struct FileKeyProvider {
    path: PathBuf,
    keys: RwLock<KeySet>,
    last_reread: Mutex<Option<Instant>>,
}

impl fmt::Debug for FileKeyProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FileKeyProvider")
            .field("path", &self.path)
            .field("active", &self.active_kek_id())
            .field("kek_ids", &self.kek_ids())
            .finish()
    }
}

impl FileKeyProvider {
    fn from_keys(path: &Path, keys: KeySet) -> Self {
        Self {
            path: path.to_path_buf(),
            keys: RwLock::new(keys),
            last_reread: Mutex::new(None),
        }
    }

    /// Creates a new key file holding one fresh, active KEK. Fails with `KeyFileExists` rather
    /// than replace a file whose keys may still be needed.
    pub fn create_new(path: &Path, now_ms: i64) -> Result<Self, CryptoError> {
        let kek = new_kek(now_ms)?;
        create_private(path, &key_file::render(&kek.id, &[&kek])?)?;
        Ok(Self::from_keys(
            path,
            KeySet {
                active: kek.id.clone(),
                keks: vec![kek],
            },
        ))
    }

    /// Loads an existing key file. On unix a file that group or others can access is refused.
    pub fn open(path: &Path) -> Result<Self, CryptoError> {
        Ok(Self::from_keys(path, Self::read_file(path)?))
    }

    fn read_file(path: &Path) -> Result<KeySet, CryptoError> {
        let text = read_private(path)?;
        key_file::parse(path, &text)
    }

    /// A lock poisoned by a panic elsewhere still holds a whole key set (it is only ever
    /// replaced whole), so it is used as it is.
    fn keys(&self) -> RwLockReadGuard<'_, KeySet> {
        self.keys.read().unwrap_or_else(|e| e.into_inner())
    }

    fn keys_mut(&mut self) -> &mut KeySet {
        self.keys.get_mut().unwrap_or_else(|e| e.into_inner())
    }

    /// Reads the file again and takes what it holds now. On failure (the file is being
    /// replaced, or is unreadable) the keys in memory stay.
    fn reread(&self) -> Result<(), CryptoError> {
        let fresh = Self::read_file(&self.path)?;
        *self.keys.write().unwrap_or_else(|e| e.into_inner()) = fresh;
        Ok(())
    }

    /// Re-reads the file unless that was done less than [`REREAD_EVERY`] ago.
    fn reread_throttled(&self) -> bool {
        {
            let mut last = self.last_reread.lock().unwrap_or_else(|e| e.into_inner());
            let now = Instant::now();
            if last.is_some_and(|at| now.duration_since(at) < REREAD_EVERY) {
                return false;
            }
            *last = Some(now);
        }
        self.reread().is_ok()
    }

    /// Adds a fresh KEK and makes it the active one; returns its id. Older KEKs stay so existing
    /// wraps keep unwrapping until they are re-wrapped.
    pub fn add_kek(&mut self, now_ms: i64) -> Result<String, CryptoError> {
        let kek = new_kek(now_ms)?;
        let id = kek.id.clone();
        let keys = self.keys();
        let mut keks: Vec<&Kek> = keys.keks.iter().collect();
        keks.push(&kek);
        self.save(&id, &keks)?;
        drop(keys);
        let keys = self.keys_mut();
        keys.keks.push(kek);
        keys.active = id.clone();
        Ok(id)
    }

    /// Removes a KEK that nothing is wrapped under any more. The active KEK cannot be removed.
    pub fn remove_kek(&mut self, id: &str) -> Result<(), CryptoError> {
        let keys = self.keys();
        if id == keys.active {
            return Err(CryptoError::ActiveKekRemoval);
        }
        if !keys.keks.iter().any(|k| k.id == id) {
            return Err(CryptoError::UnknownKek { kek_id: id.into() });
        }
        let keep: Vec<&Kek> = keys.keks.iter().filter(|k| k.id != id).collect();
        self.save(&keys.active, &keep)?;
        drop(keys);
        self.keys_mut().keks.retain(|k| k.id != id);
        Ok(())
    }

    pub fn kek_ids(&self) -> Vec<String> {
        self.keys().keks.iter().map(|k| k.id.clone()).collect()
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The file is written before memory changes, so a failed write leaves both as they were.
    fn save(&self, active: &str, keks: &[&Kek]) -> Result<(), CryptoError> {
        replace_private(&self.path, &key_file::render(active, keks)?)
    }

    fn unwrap_loaded(
        &self,
        wrapped: &WrappedKey,
        context: &[u8],
    ) -> Result<SecretKey32, CryptoError> {
        let keys = self.keys();
        keys.keks
            .iter()
            .find(|k| k.id == wrapped.kek_id)
            .ok_or_else(|| CryptoError::UnknownKek {
                kek_id: wrapped.kek_id.clone(),
            })?
            .unwrap(wrapped, context)
    }
}

impl KeyProvider for FileKeyProvider {
    fn active_kek_id(&self) -> String {
        self.keys().active.clone()
    }

    fn wrap(&self, key: &SecretKey32, context: &[u8]) -> Result<WrappedKey, CryptoError> {
        // Wrapping is rare (a new practice, a data-key rotation): read the file first, so a
        // KEK rotated in by another process is used and a removed one never is.
        self.reread()?;
        let keys = self.keys();
        keys.keks
            .iter()
            .find(|k| k.id == keys.active)
            .ok_or_else(|| CryptoError::UnknownKek {
                kek_id: keys.active.clone(),
            })?
            .wrap(key, context)
    }

    fn unwrap(&self, wrapped: &WrappedKey, context: &[u8]) -> Result<SecretKey32, CryptoError> {
        match self.unwrap_loaded(wrapped, context) {
            // Another process may have rotated the KEK: look at the file again.
            Err(CryptoError::UnknownKek { .. }) if self.reread_throttled() => {
                self.unwrap_loaded(wrapped, context)
            }
            other => other,
        }
    }
}

fn new_kek(now_ms: i64) -> Result<Kek, CryptoError> {
    let mut id = [0u8; 8];
    fill_random(&mut id)?;
    Kek::new(
        format!("kek-{}", to_hex(&id)),
        now_ms,
        SecretKey32::generate()?,
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::secret::test_support::assert_no_key_in;
    use std::fs;

    fn fresh() -> (tempfile::TempDir, PathBuf, FileKeyProvider) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("etc").join("enamel").join("keys.json");
        let p = FileKeyProvider::create_new(&path, 1_700_000_000_000).unwrap();
        (dir, path, p)
    }

    #[test]
    fn create_wrap_reopen_unwrap() {
        let (_dir, path, p) = fresh();
        let id = p.active_kek_id();
        assert!(id.starts_with("kek-") && id.len() == 20, "{id}");
        assert!(id[4..].bytes().all(|b| b.is_ascii_hexdigit()));
        assert_eq!(p.kek_ids(), vec![id.clone()]);
        assert_eq!(p.path(), path);
        let data = SecretKey32::generate().unwrap();
        let w = p.wrap(&data, b"practice-1|field|1").unwrap();
        assert_eq!(w.kek_id, id);

        let again = FileKeyProvider::open(&path).unwrap();
        assert_eq!(again.active_kek_id(), id);
        let back = again.unwrap(&w, b"practice-1|field|1").unwrap();
        assert_eq!(back.expose_secret_danger(), data.expose_secret_danger());
        assert!(matches!(
            again.unwrap(&w, b"practice-2|field|1"),
            Err(CryptoError::Unwrap)
        ));
    }

    #[test]
    fn file_has_documented_layout() {
        let (_dir, path, p) = fresh();
        let json: serde_json::Value = serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();
        assert_eq!(json["format"], "enamel-kek-v1");
        assert_eq!(json["active"], p.active_kek_id().as_str());
        assert_eq!(json["keks"][0]["id"], p.active_kek_id().as_str());
        assert_eq!(json["keks"][0]["created_ms"], 1_700_000_000_000_i64);
        assert_eq!(json["keks"][0]["key"].as_str().unwrap().len(), 44);
    }

    #[cfg(unix)]
    #[test]
    fn file_and_dir_are_private_and_loose_modes_are_refused() {
        use std::os::unix::fs::PermissionsExt;
        let (_dir, path, _p) = fresh();
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(path.parent().unwrap()), 0o700);

        for loose in [0o644, 0o640, 0o604, 0o660, 0o602] {
            fs::set_permissions(&path, fs::Permissions::from_mode(loose)).unwrap();
            let err = FileKeyProvider::open(&path).unwrap_err();
            assert!(
                matches!(err, CryptoError::KeyFilePermissions { .. }),
                "{loose:o}"
            );
            assert!(
                err.to_string()
                    .contains(&format!("chmod 600 {}", path.display()))
            );
        }
        fs::set_permissions(&path, fs::Permissions::from_mode(0o400)).unwrap();
        FileKeyProvider::open(&path).unwrap();
    }

    #[test]
    fn create_refuses_to_overwrite() {
        let (_dir, path, _p) = fresh();
        let before = fs::read(&path).unwrap();
        assert!(matches!(
            FileKeyProvider::create_new(&path, 0),
            Err(CryptoError::KeyFileExists { .. })
        ));
        assert_eq!(fs::read(&path).unwrap(), before);
    }

    #[test]
    fn missing_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nope.json");
        match FileKeyProvider::open(&path) {
            Err(CryptoError::KeyFileMissing { path: p }) => assert_eq!(p, path),
            other => panic!("expected KeyFileMissing, got {other:?}"),
        }
    }

    #[test]
    fn garbage_is_invalid_and_not_echoed() {
        let (_dir, path, _p) = fresh();
        let garbage = "{\"format\": \"enamel-kek-v1\", \"keks\": 12, TOPSECRETCANARY";
        fs::write(&path, garbage).unwrap();
        let err = FileKeyProvider::open(&path).unwrap_err();
        assert!(matches!(err, CryptoError::KeyFileInvalid { .. }), "{err:?}");
        let shown = format!("{err} {err:?}");
        assert!(!shown.contains("TOPSECRETCANARY"), "{shown}");
    }

    #[test]
    fn add_kek_rotates_and_keeps_old_keys() {
        let (_dir, path, mut p) = fresh();
        let old = p.active_kek_id();
        let data = SecretKey32::generate().unwrap();
        let old_wrap = p.wrap(&data, b"c").unwrap();

        let new = p.add_kek(1_800_000_000_000).unwrap();
        assert_ne!(new, old);
        assert_eq!(p.active_kek_id(), new);
        assert_eq!(p.kek_ids(), vec![old.clone(), new.clone()]);
        assert_eq!(p.wrap(&data, b"c").unwrap().kek_id, new);

        let reopened = FileKeyProvider::open(&path).unwrap();
        assert_eq!(reopened.active_kek_id(), new);
        let back = reopened.unwrap(&old_wrap, b"c").unwrap();
        assert_eq!(back.expose_secret_danger(), data.expose_secret_danger());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn remove_kek_rules() {
        let (_dir, path, mut p) = fresh();
        let old = p.active_kek_id();
        let old_wrap = p.wrap(&SecretKey32::generate().unwrap(), b"c").unwrap();
        let new = p.add_kek(2).unwrap();
        assert!(matches!(
            p.remove_kek(&new),
            Err(CryptoError::ActiveKekRemoval)
        ));
        assert!(matches!(
            p.remove_kek("kek-doesnotexist00"),
            Err(CryptoError::UnknownKek { .. })
        ));
        p.remove_kek(&old).unwrap();
        assert_eq!(p.kek_ids(), vec![new.clone()]);
        match p.unwrap(&old_wrap, b"c") {
            Err(CryptoError::UnknownKek { kek_id }) => assert_eq!(kek_id, old),
            other => panic!("expected UnknownKek, got {other:?}"),
        }
        assert_eq!(FileKeyProvider::open(&path).unwrap().kek_ids(), vec![new]);
    }

    #[test]
    fn debug_shows_ids_not_keys() {
        let (_dir, _path, mut p) = fresh();
        p.add_kek(3).unwrap();
        let shown = format!("{p:?} {p:#?}");
        for id in p.kek_ids() {
            assert!(shown.contains(&id));
        }
        for kek in &p.keys().keks {
            assert_no_key_in(&shown, kek.secret.expose_secret_danger());
        }
    }
}
