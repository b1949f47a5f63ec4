//! The weekly statistics (지원-004/005) as a participant sends them: the week that ended with the
//! latest Sunday (KST), on the weekday ch.7 names — Sunday for operators' 지원-004, Monday for
//! providers' 지원-005 — remembering in the store which week went out, so that a restart neither
//! skips nor repeats one.

use crate::statistics::inquiry_date_after;
use crate::time::kst_of;
use chrono::{Datelike, Days, Weekday};
use mydata_store::{Store, StoreError};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

/// Why statistics could not be sent.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    #[error("no portal is configured")]
    NotConnected,
    #[error("inquiry_date: {0}")]
    Week(#[from] crate::statistics::WeekError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Portal(#[from] crate::portal_client::PortalError),
}

/// The inquiry_date (a Sunday) of the last complete week before `now`: today when today is a
/// Sunday (the week before it has ended), else the latest Sunday.
pub fn last_inquiry_date(now: i64) -> String {
    let today = kst_of(now).date_naive();
    // The Sunday after today, one week back: today itself when today is a Sunday.
    (inquiry_date_after(today) - Days::new(7)).format("%Y%m%d").to_string()
}

/// Sends the last complete week's reports with `send` unless the store says they went out already
/// (`sent_setting` holds the inquiry_date sent last), and notes them sent when `send` succeeds.
/// Returns the inquiry_date sent, `None` when there was nothing to send.
pub async fn send_due<F, Fut, E>(
    store: &dyn Store,
    sent_setting: &str,
    now: i64,
    send: F,
) -> Result<Option<String>, DueError<E>>
where
    F: FnOnce(String) -> Fut,
    Fut: Future<Output = Result<(), E>>,
{
    let inquiry_date = last_inquiry_date(now);
    if store.support_setting(sent_setting).await?.as_deref() == Some(inquiry_date.as_str()) {
        return Ok(None);
    }
    send(inquiry_date.clone()).await.map_err(DueError::Send)?;
    store.set_support_setting(sent_setting, &inquiry_date).await?;
    Ok(Some(inquiry_date))
}

#[derive(Debug, thiserror::Error)]
pub enum DueError<E> {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Send(E),
}

/// Checks every `every` whether it is `weekday` in Korea and, if so, sends what [`send_due`] finds
/// due; failures are logged and retried at the next check. Runs until the task is dropped.
pub fn spawn_weekly<F, Fut, E>(
    store: Arc<dyn Store>,
    weekday: Weekday,
    sent_setting: String,
    every: Duration,
    send: F,
) -> tokio::task::JoinHandle<()>
where
    F: Fn(String) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), E>> + Send,
    E: std::fmt::Display + Send,
{
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        loop {
            tick.tick().await;
            let now = chrono::Utc::now().timestamp();
            if kst_of(now).weekday() != weekday {
                continue;
            }
            match send_due(store.as_ref(), &sent_setting, now, &send).await {
                Ok(Some(inquiry_date)) => tracing::info!(%inquiry_date, "weekly statistics sent"),
                Ok(None) => {}
                Err(e) => tracing::warn!(error = %e, "weekly statistics failed; retrying"),
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_inquiry_date_is_the_latest_sunday() {
        // 2021-09-13 is a Monday (KST noon = 03:00 UTC).
        assert_eq!(last_inquiry_date(1_631_502_000), "20210912");
        // 2021-09-12 is a Sunday.
        assert_eq!(last_inquiry_date(1_631_415_600), "20210912");
        // 2021-09-11 is a Saturday: its week is not over.
        assert_eq!(last_inquiry_date(1_631_329_200), "20210905");
    }
}
