//! The only file I/O in this crate: reading, creating and atomically replacing the key file,
//! which must stay private to the server's user.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use crate::CryptoError;
use crate::secret::{fill_random, to_hex};

fn io_error(path: &Path, e: &io::Error) -> CryptoError {
    CryptoError::KeyFileIo {
        path: path.to_path_buf(),
        problem: e.to_string(),
    }
}

/// Reads the key file, refusing it when group or others may read or write it: a key file that
/// leaked that way has to be treated as compromised, so the owner should notice and fix it.
pub(crate) fn read_private(path: &Path) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    let mut file = File::open(path).map_err(|e| match e.kind() {
        io::ErrorKind::NotFound => CryptoError::KeyFileMissing {
            path: path.to_path_buf(),
        },
        _ => io_error(path, &e),
    })?;
    // Checked on the open handle, so the file cannot be swapped between check and read.
    let meta = file.metadata().map_err(|e| io_error(path, &e))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if meta.permissions().mode() & 0o077 != 0 {
            return Err(CryptoError::KeyFilePermissions {
                path: path.to_path_buf(),
            });
        }
    }
    let capacity = usize::try_from(meta.len()).unwrap_or(0).saturating_add(1);
    let mut text = Zeroizing::new(Vec::with_capacity(capacity));
    file.read_to_end(&mut text)
        .map_err(|e| io_error(path, &e))?;
    Ok(text)
}

/// Creates the file (and its directory, private to the owner) only if it does not exist yet.
pub(crate) fn create_private(path: &Path, contents: &[u8]) -> Result<(), CryptoError> {
    let dir = parent_dir(path);
    create_dir_private(dir).map_err(|e| io_error(dir, &e))?;
    let mut file = open_new_private(path).map_err(|e| match e.kind() {
        io::ErrorKind::AlreadyExists => CryptoError::KeyFileExists {
            path: path.to_path_buf(),
        },
        _ => io_error(path, &e),
    })?;
    let written = file.write_all(contents).and_then(|()| file.sync_all());
    if let Err(e) = written {
        // A half-written key file would block the next attempt with KeyFileExists.
        drop(file);
        let _ = fs::remove_file(path);
        return Err(io_error(path, &e));
    }
    sync_dir(dir).map_err(|e| io_error(dir, &e))
}

/// Replaces the file so that a crash leaves either the old or the new contents, never a mix:
/// a private temporary file in the same directory, flushed, renamed over, then the directory
/// flushed so the rename itself survives.
pub(crate) fn replace_private(path: &Path, contents: &[u8]) -> Result<(), CryptoError> {
    let dir = parent_dir(path);
    let tmp = temp_path(path)?;
    let result = (|| {
        let mut file = open_new_private(&tmp)?;
        file.write_all(contents)?;
        file.sync_all()?;
        drop(file);
        fs::rename(&tmp, path)?;
        sync_dir(dir)
    })();
    if let Err(e) = result {
        let _ = fs::remove_file(&tmp);
        return Err(io_error(path, &e));
    }
    Ok(())
}

fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

fn temp_path(path: &Path) -> Result<PathBuf, CryptoError> {
    let mut suffix = [0u8; 8];
    fill_random(&mut suffix)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "keys".into());
    Ok(parent_dir(path).join(format!(".{name}.tmp-{}", to_hex(&suffix))))
}

fn open_new_private(path: &Path) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)
}

fn create_dir_private(dir: &Path) -> io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)
}

#[cfg(unix)]
fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> io::Result<()> {
    // Directories cannot be opened for syncing here; the rename is as durable as the OS makes it.
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn replace_leaves_no_temp_files_and_new_contents() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k.json");
        create_private(&path, b"one").unwrap();
        replace_private(&path, b"two").unwrap();
        assert_eq!(read_private(&path).unwrap().as_slice(), b"two");
        let names: Vec<_> = fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1);
    }

    #[cfg(unix)]
    #[test]
    fn replacement_is_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k.json");
        create_private(&path, b"one").unwrap();
        replace_private(&path, b"two").unwrap();
        let mode = fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[test]
    fn create_refuses_existing_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k.json");
        create_private(&path, b"one").unwrap();
        assert!(matches!(
            create_private(&path, b"two"),
            Err(CryptoError::KeyFileExists { .. })
        ));
        assert_eq!(read_private(&path).unwrap().as_slice(), b"one");
    }
}
