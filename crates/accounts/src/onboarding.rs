//! A new creator's onboarding in the studio (`creator_onboarding`): the
//! step they are on, and when they saw the welcome tour, dismissed it and
//! finished. One row per user, made on the first read or write, so the
//! answer always has real `createdAt`/`updatedAt`. The three moments are
//! one-way: once set, a timestamp keeps its first value.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use codex_context::Context;
use codex_database::{FromRow, columns};
use codex_errors::ApiError;
use serde::{Deserialize, Serialize};

/// The onboarding wizard's steps, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Step {
    Essentials,
    Profile,
    Payouts,
    Finish,
}

impl Step {
    pub const ALL: [Self; 4] = [Self::Essentials, Self::Profile, Self::Payouts, Self::Finish];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Essentials => "essentials",
            Self::Profile => "profile",
            Self::Payouts => "payouts",
            Self::Finish => "finish",
        }
    }
}

impl FromStr for Step {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|step| step.as_str() == value)
            .ok_or_else(|| format!("`{value}` is not an onboarding step"))
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The onboarding state as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, FromRow, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Onboarding {
    #[row(parse)]
    pub current_step: Step,
    #[schema(required = true)]
    pub welcome_seen_at: Option<DateTime<Utc>>,
    #[schema(required = true)]
    pub dismissed_at: Option<DateTime<Utc>>,
    #[schema(required = true)]
    pub completed_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What a `PATCH` changes (its body): any of the step and the three
/// moments, at least one. A moment can only be set (`true`): `false` is
/// refused rather than silently ignored.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct OnboardingChanges {
    pub current_step: Option<Step>,
    pub welcome_seen: Option<bool>,
    pub dismissed: Option<bool>,
    pub completed: Option<bool>,
}

impl OnboardingChanges {
    fn check(&self) -> Result<(), ApiError> {
        for (field, value) in [
            ("welcomeSeen", self.welcome_seen),
            ("dismissed", self.dismissed),
            ("completed", self.completed),
        ] {
            if value == Some(false) {
                return Err(ApiError::invalid_fields([(
                    field,
                    "can only be set to true",
                )]));
            }
        }
        if self.current_step.is_none()
            && self.welcome_seen.is_none()
            && self.dismissed.is_none()
            && self.completed.is_none()
        {
            return Err(ApiError::invalid_fields([(
                "body",
                "send at least one of currentStep, welcomeSeen, dismissed, completed",
            )]));
        }
        Ok(())
    }
}

fn gone() -> ApiError {
    ApiError::unauthorized()
}

/// The live user's onboarding, made with the defaults on first read (a
/// read changes nothing else, `updatedAt` included).
pub async fn get(ctx: &Context, user_id: &str) -> Result<Onboarding, ApiError> {
    crate::profile::read_or_create(ctx, "creator_onboarding", user_id).await
}

/// Applies `changes` (see [`OnboardingChanges`]) in one statement, making
/// the row when there is none; a moment set before keeps its first time.
/// Every accepted change moves `updatedAt`.
pub async fn update(
    ctx: &Context,
    user_id: &str,
    changes: OnboardingChanges,
) -> Result<Onboarding, ApiError> {
    changes.check()?;
    let now = ctx.clock().now();
    let at = |flag: Option<bool>| flag.unwrap_or(false).then_some(now);
    let row = ctx
        .database()
        .query_opt(
            &format!(
                "INSERT INTO creator_onboarding AS o \
                   (user_id, current_step, welcome_seen_at, dismissed_at, completed_at) \
                 SELECT id, COALESCE($2::text, 'essentials'), $3::timestamptz, $4::timestamptz, \
                   $5::timestamptz \
                 FROM users WHERE id = $1 AND deleted_at IS NULL \
                 ON CONFLICT (user_id) DO UPDATE SET \
                   current_step = COALESCE($2::text, o.current_step), \
                   welcome_seen_at = COALESCE(o.welcome_seen_at, $3::timestamptz), \
                   dismissed_at = COALESCE(o.dismissed_at, $4::timestamptz), \
                   completed_at = COALESCE(o.completed_at, $5::timestamptz) \
                 RETURNING {}",
                columns::<Onboarding>("o")
            ),
            &[
                user_id.into(),
                changes.current_step.map(Step::as_str).into(),
                at(changes.welcome_seen).into(),
                at(changes.dismissed).into(),
                at(changes.completed).into(),
            ],
        )
        .await?
        .ok_or_else(gone)?;
    Ok(row.decode()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_round_trip_through_their_names() {
        for step in Step::ALL {
            assert_eq!(step.as_str().parse::<Step>(), Ok(step));
            assert_eq!(
                serde_json::to_value(step).expect("serialise"),
                serde_json::json!(step.as_str())
            );
        }
        assert!("welcome".parse::<Step>().is_err());
    }

    #[test]
    fn a_change_needs_something_to_change_and_flags_only_go_on() {
        let parse = |body: &str| serde_json::from_str::<OnboardingChanges>(body);
        assert!(
            parse(r#"{"currentStep":"payouts"}"#)
                .expect("parse")
                .check()
                .is_ok()
        );
        assert!(
            parse(r#"{"welcomeSeen":true}"#)
                .expect("parse")
                .check()
                .is_ok()
        );
        assert!(parse("{}").expect("parse").check().is_err());
        assert!(
            parse(r#"{"dismissed":false}"#)
                .expect("parse")
                .check()
                .is_err()
        );
        assert!(parse(r#"{"currentStep":"nowhere"}"#).is_err());
        assert!(parse(r#"{"step":"profile"}"#).is_err(), "unknown fields");
    }
}
