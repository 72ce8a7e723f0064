//! Retention on the backend: each tenant keeps a session's evidence for a
//! set time after its review closes (it ended and every high or critical
//! event has a reviewer's decision), then a sweep deletes every object of
//! the session. A legal hold stops it; a session still pending review is
//! never deleted. Each deletion is in the tenant's access log, and the
//! session's row stays in the index, so a later upload of it is refused
//! rather than starting it again.

use std::sync::Arc;

use futures_util::TryStreamExt;
use object_store::ObjectStoreExt;
use object_store::path::Path;
use serde::Serialize;

use crate::index::{Index, NewAccess};
use crate::server::off_workers;
use crate::{IngestError, Stores, tokens};

/// A session the sweep deleted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Deleted {
    /// The tenant.
    pub tenant: String,
    /// The session.
    pub session_id: String,
    /// When its review closed (POSIX seconds).
    pub closed_at: i64,
    /// Objects deleted.
    pub objects: u64,
}

/// Deletes every session the tenants' retention lets go at `now`, each from
/// its tenant's store.
pub async fn sweep(
    stores: &Stores,
    index: &Arc<Index>,
    now: i64,
) -> Result<Vec<Deleted>, IngestError> {
    let ix = Arc::clone(index);
    let retentions = off_workers(move || ix.retentions()).await?;
    let mut deleted = Vec::new();
    for (tenant, keep_secs) in retentions {
        let ix = Arc::clone(index);
        let t = tenant.clone();
        let expired = off_workers(move || ix.expired(&t, now, keep_secs)).await?;
        let store = stores.of(&tenant);
        for (session_id, closed_at) in expired {
            let prefix = Path::from(format!("tenants/{tenant}/sessions/{session_id}"));
            let objects: Vec<Path> = store
                .list(Some(&prefix))
                .map_ok(|m| m.location)
                .try_collect()
                .await?;
            for object in &objects {
                match store.delete(object).await {
                    Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
                    Err(e) => return Err(e.into()),
                }
            }
            let entry = NewAccess {
                tenant: tenant.clone(),
                at: tokens::now_secs(),
                actor: "retention sweep".into(),
                role: "system".into(),
                action: "delete_session".into(),
                target: format!(
                    "{session_id}: {} objects, review closed at {closed_at}, kept {keep_secs} s",
                    objects.len()
                ),
                allowed: true,
            };
            let (ix, t, s) = (Arc::clone(index), tenant.clone(), session_id.clone());
            off_workers(move || {
                ix.mark_deleted(&t, &s, now)?;
                ix.log_access(&entry).map(|_| ())
            })
            .await?;
            deleted.push(Deleted {
                tenant: tenant.clone(),
                session_id,
                closed_at,
                objects: objects.len() as u64,
            });
        }
    }
    Ok(deleted)
}
