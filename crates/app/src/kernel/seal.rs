//! Sealing and opening a declared column: the associated data (practice, table, column, row
//! id, key version) comes from the record declaration, never from a string at the call.

use enamel_crypto::{CryptoError, PracticeKeys};
use enamel_store::SealedColumn;
use zeroize::Zeroizing;

/// Seals `plaintext` for `column` of row `row_id` under the practice's active key.
pub(crate) fn seal(
    keys: &PracticeKeys,
    column: SealedColumn,
    row_id: &str,
    plaintext: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    keys.seal(column.table, column.column, row_id, plaintext)
}

/// Opens a value sealed by [`seal`] for the same column and row.
pub(crate) fn open(
    keys: &PracticeKeys,
    column: SealedColumn,
    row_id: &str,
    sealed: &[u8],
) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    keys.open(column.table, column.column, row_id, sealed)
}

/// Opens a sealed UTF-8 text.
pub(crate) fn open_string(
    keys: &PracticeKeys,
    column: SealedColumn,
    row_id: &str,
    sealed: &[u8],
) -> Result<Zeroizing<String>, CryptoError> {
    keys.open_string(column.table, column.column, row_id, sealed)
}
