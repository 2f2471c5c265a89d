//! The current batch a page or endpoint works in.

use shuangshi_store::{BatchRecord, Store};

use crate::error::AppError;

/// The current batch, or a clear message when the commission has not set one up.
pub(crate) async fn batch_or_conflict(store: &Store) -> Result<BatchRecord, AppError> {
    crate::auth::current_batch(store)
        .await?
        .ok_or_else(|| AppError::conflict("市教委尚未设置批次，暂不能填报"))
}
