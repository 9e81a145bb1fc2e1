//! Time: asynchronous outcomes (30 s), expiries (24 h, 30 days, 180 days, 13 months) and the
//! monthly limit. On the emulator the scenario's own tenant clock is moved; nothing sleeps.

use anyhow::Context as _;
use chrono::{Datelike, Duration, FixedOffset, TimeZone};
use cucumber::when;

use super::{ConformanceWorld, StepResult};
use crate::model::Timestamp;

async fn advance(w: &mut ConformanceWorld, by: Duration) -> anyhow::Result<chrono::DateTime<chrono::Utc>> {
    let key = w.merchant()?.public_key_id.clone();
    let now = w.target()?.advance_clock(&key, by).await?;
    let now: Timestamp = serde_json::from_value(serde_json::Value::String(now)).context("the emulator's clock")?;
    Ok(now.0)
}

#[when(regex = r"^(\d+) ?(秒|分|時間|日|か月)が経過する$")]
async fn time_passes(w: &mut ConformanceWorld, n: i64, unit: String) -> StepResult {
    let by = match unit.as_str() {
        "秒" => Duration::seconds(n),
        "分" => Duration::minutes(n),
        "時間" => Duration::hours(n),
        "日" => Duration::days(n),
        // A calendar month is at most 31 days; expiries of "13 months" are checked past that.
        _ => Duration::days(31 * n),
    };
    if w.target()?.is_sandbox() {
        // Real time: the next check polls until the outcome arrives (see `eventually`).
        w.wait = Some(by.to_std().unwrap_or_default());
        return Ok(());
    }
    advance(w, by).await?;
    Ok(())
}

/// To one hour into the next month in Japan time, where the monthly limits reset.
#[when(regex = r"^翌月になる$")]
async fn next_month(w: &mut ConformanceWorld) -> StepResult {
    let now = advance(w, Duration::zero()).await?;
    let jst = FixedOffset::east_opt(9 * 3600).expect("JST is a valid offset");
    let local = now.with_timezone(&jst);
    let (year, month) = if local.month() == 12 { (local.year() + 1, 1) } else { (local.year(), local.month() + 1) };
    let start = jst.with_ymd_and_hms(year, month, 1, 1, 0, 0).single().context("the first of next month")?;
    advance(w, start.with_timezone(&chrono::Utc) - now).await?;
    Ok(())
}
