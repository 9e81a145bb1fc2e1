//! Time: asynchronous outcomes (30 s), expiries (24 h, 30 days, 180 days, 13 months) and the
//! monthly limit. On the emulator the scenario's own tenant clock is moved; nothing sleeps. Where
//! time is real, a wait of a few minutes is waited for; anything longer needs the emulator's
//! clock, and so does a new month.

use anyhow::Context as _;
use chrono::{Datelike, Duration, FixedOffset, TimeZone};
use cucumber::step::Context as StepContext;
use cucumber::when;

use super::needs::{Declared, Need, Vocabulary};
use super::params::Elapsed;
use super::{ConformanceWorld, StepResult};

pub(super) const VOCABULARY: Vocabulary = Vocabulary { file: file!(), needs: Declared::PerStep(needs) };

/// The clock, unless the step lets pass no more than a real-time run can wait (the capture named
/// `elapsed`); 「翌月になる」 has none, and always needs it.
fn needs(step: &StepContext) -> Option<Need> {
    let elapsed = step.matches.iter().find(|(name, _)| name.as_deref() == Some("elapsed"));
    match elapsed {
        Some((_, text)) => text.parse::<Elapsed>().ok().filter(|e| e.needs_clock()).map(|_| Need::Clock),
        None => Some(Need::Clock),
    }
}

#[when(regex = r"^(?P<elapsed>\d+ ?(?:秒|分|時間|日|か月))が経過する$")]
async fn time_passes(w: &mut ConformanceWorld, elapsed: Elapsed) -> StepResult {
    Ok(w.let_time_pass(elapsed).await?)
}

/// To one hour into the next month in Japan time, where the monthly limits reset.
#[when(regex = r"^翌月になる$")]
async fn next_month(w: &mut ConformanceWorld) -> StepResult {
    let now = w.advance_clock(Duration::zero()).await?;
    let jst = FixedOffset::east_opt(9 * 3600).expect("JST is a valid offset");
    let local = now.with_timezone(&jst);
    let (year, month) = if local.month() == 12 { (local.year() + 1, 1) } else { (local.year(), local.month() + 1) };
    let start = jst.with_ymd_and_hms(year, month, 1, 1, 0, 0).single().context("the first of next month")?;
    w.advance_clock(start.with_timezone(&chrono::Utc) - now).await?;
    Ok(())
}
