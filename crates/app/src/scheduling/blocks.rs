//! Blockouts and practice holidays: dated blocks of the schedule that a booking is warned
//! about (never refused by). A blockout is the schedule's (schedule × edit: the desk keeps a
//! chair free for a meeting); a holiday closes the practice (practice settings × edit). Not
//! PHI: reading them is not audited, each change is.

use enamel_domain::scheduling::{Block, BlockDraft, BlockKind};
use enamel_domain::{Action, AuditAction, Category, Instant, Outcome, RecordKind};
use enamel_store::{BlockRow, StoreError};

use super::{Schedule, invalid};
use crate::AppError;

/// A block with its id and who made it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockView {
    pub id: String,
    pub block: Block,
    pub created_ms: i64,
    pub created_by: String,
}

pub(super) fn block_of(row: &BlockRow) -> Result<BlockView, AppError> {
    let kind = BlockKind::parse(&row.kind)
        .ok_or_else(|| AppError::Internal("a stored block has no kind".into()))?;
    Ok(BlockView {
        id: row.id.clone(),
        block: Block {
            kind,
            operatory_id: row.operatory_id.clone(),
            start: Instant::from_unix_ms(row.start_ms),
            end: Instant::from_unix_ms(row.end_ms),
            label: row.label.clone(),
        },
        created_ms: row.created_ms,
        created_by: row.created_by.clone(),
    })
}

/// Who may add or remove a block of this kind.
fn category_of(kind: BlockKind) -> (Category, Action) {
    match kind {
        BlockKind::Blockout => (Category::Schedule, Action::Edit),
        BlockKind::Holiday => (Category::PracticeSettings, Action::Edit),
    }
}

impl Schedule<'_> {
    /// The blocks that overlap `[from, to)`, by start (for the schedule's or the settings'
    /// viewers; not audited).
    pub async fn blocks(&self, from: Instant, to: Instant) -> Result<Vec<BlockView>, AppError> {
        self.may_read_resources().await?;
        self.app
            .db()
            .blocks_between(&self.practice(), from.unix_ms(), to.unix_ms())
            .await?
            .iter()
            .map(block_of)
            .collect()
    }

    /// Adds a blockout (schedule × edit) or a holiday (practice settings × edit).
    pub async fn add_block(&self, draft: &BlockDraft) -> Result<BlockView, AppError> {
        let tz = self.app.practice_time(self.caller.practice_id()).await?;
        // Which permission applies depends on the kind: an unknown kind is the schedule's.
        let kind = BlockKind::parse(draft.kind.trim()).unwrap_or(BlockKind::Blockout);
        let (category, action) = category_of(kind);
        let access = self.access(category, action, None).await?;
        let block = draft.validate(&tz).map_err(AppError::Invalid)?;
        if let Some(op) = &block.operatory_id
            && !self
                .operatories()
                .await?
                .iter()
                .any(|o| o.id.to_string() == *op)
        {
            return Err(invalid(
                "operatory_id",
                "is not an operatory of this practice",
            ));
        }
        let id = uuid::Uuid::now_v7().to_string();
        let row = BlockRow {
            practice_id: self.practice(),
            id: id.clone(),
            kind: block.kind.as_str().into(),
            operatory_id: block.operatory_id.clone(),
            start_ms: block.start.unix_ms(),
            end_ms: block.end.unix_ms(),
            label: block.label.clone(),
            created_ms: self.now_ms(),
            created_by: self.actor().audit_id(),
        };
        let entry = access
            .audit(AuditAction::Create, Outcome::Allowed)
            .about(RecordKind::ScheduleBlock, &id);
        let mut tx = self.app.begin_write().await?;
        tx.insert_block(&row).await?;
        tx.commit(entry.into()).await?;
        block_of(&row)
    }

    /// Removes a block entered by mistake (as adding it needs).
    pub async fn remove_block(&self, id: &str) -> Result<(), AppError> {
        let found = match self.app.db().block(&self.practice(), id).await {
            Ok(row) => Some(row),
            Err(StoreError::NotFound) => None,
            Err(e) => return Err(e.into()),
        };
        let kind = found
            .as_ref()
            .and_then(|r| BlockKind::parse(&r.kind))
            .unwrap_or(BlockKind::Blockout);
        let (category, action) = category_of(kind);
        let access = self.access(category, action, None).await?;
        let entry = access
            .audit(AuditAction::Delete, Outcome::Allowed)
            .about(RecordKind::ScheduleBlock, id);
        if found.is_none() {
            return self.not_made(entry, AppError::NotFound).await;
        }
        let mut tx = self.app.begin_write().await?;
        tx.delete_block(&self.practice(), id).await?;
        tx.commit(entry.into()).await?;
        Ok(())
    }
}
