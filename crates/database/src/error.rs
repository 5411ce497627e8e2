use codex_errors::ApiError;

/// What a client is told when the database refuses a text value.
pub const INVALID_TEXT_MESSAGE: &str = "Text contains a character that cannot be stored";

/// What went wrong talking to the database, in terms a service can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DbError {
    /// A unique constraint refused the write.
    #[error("unique constraint violated ({constraint})")]
    UniqueViolation { constraint: String },
    /// A foreign key points at a row that does not exist.
    #[error("foreign key violated ({constraint})")]
    ForeignKeyViolation { constraint: String },
    /// A CHECK or NOT NULL constraint refused the value.
    #[error("constraint violated ({constraint})")]
    ConstraintViolation { constraint: String },
    /// Text the database cannot store: a NUL character (SQLSTATE 22021,
    /// invalid byte sequence) or one the database's encoding lacks, such as
    /// `\u0000` inside JSON (22P05, untranslatable character). The input
    /// checks refuse control characters first; this is the last line.
    #[error("text cannot be stored: {0}")]
    InvalidText(String),
    /// The database cannot be reached, or did not answer in time.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// A column could not be read as the type asked for.
    #[error("cannot decode column {column}: {reason}")]
    Decode { column: String, reason: String },
    /// Any other failure: a bug in a statement, most likely.
    #[error("database error: {0}")]
    Query(String),
}

impl DbError {
    /// Classifies a server error by its SQLSTATE.
    pub fn from_sqlstate(code: &str, constraint: Option<&str>, message: &str) -> Self {
        let constraint = constraint.unwrap_or("unknown").to_owned();
        match code {
            "23505" => Self::UniqueViolation { constraint },
            "23503" => Self::ForeignKeyViolation { constraint },
            "23514" | "23502" | "22001" => Self::ConstraintViolation { constraint },
            "22021" | "22P05" => Self::InvalidText(message.to_owned()),
            _ if crate::sqlstate_is_unavailable(code) => Self::Unavailable(message.to_owned()),
            _ => Self::Query(format!("{code}: {message}")),
        }
    }

    /// True for a unique violation of the named constraint.
    pub fn is_unique_violation(&self, name: &str) -> bool {
        matches!(self, Self::UniqueViolation { constraint } if constraint == name)
    }
}

/// The default mapping onto the HTTP contract. Repositories that know which
/// field a constraint guards map unique violations themselves, naming it.
impl From<DbError> for ApiError {
    fn from(error: DbError) -> Self {
        match error {
            DbError::UniqueViolation { .. } => ApiError::conflict("Resource already exists"),
            DbError::ForeignKeyViolation { .. } => {
                ApiError::business_rule("A referenced resource does not exist")
            }
            DbError::ConstraintViolation { .. } => ApiError::validation("Invalid request data"),
            DbError::InvalidText(cause) => {
                tracing::debug!(%cause, "text refused by the database");
                ApiError::validation(INVALID_TEXT_MESSAGE)
            }
            DbError::Unavailable(cause) => {
                tracing::warn!(%cause, "database unavailable");
                ApiError::service_unavailable("The service is temporarily unavailable")
            }
            other @ (DbError::Decode { .. } | DbError::Query(_)) => ApiError::internal(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use codex_errors::ErrorCode;

    #[test]
    fn sqlstates_map_onto_what_a_service_can_act_on() {
        assert!(
            DbError::from_sqlstate("23505", Some("users_email_key"), "dup")
                .is_unique_violation("users_email_key")
        );
        assert_eq!(
            DbError::from_sqlstate("57P01", None, "terminating connection"),
            DbError::Unavailable("terminating connection".to_owned())
        );
        assert!(matches!(
            DbError::from_sqlstate("42601", None, "syntax"),
            DbError::Query(_)
        ));
        assert_eq!(
            DbError::from_sqlstate(
                "57014",
                None,
                "canceling statement due to statement timeout"
            ),
            DbError::Unavailable("canceling statement due to statement timeout".to_owned())
        );
    }

    #[test]
    fn text_the_database_cannot_store_is_a_400_not_a_bug() {
        for code in ["22021", "22P05"] {
            let error = DbError::from_sqlstate(code, None, "invalid byte sequence: 0x00");
            assert!(
                matches!(error, DbError::InvalidText(_)),
                "{code}: {error:?}"
            );
            let api: ApiError = error.into();
            assert_eq!(api.code(), ErrorCode::ValidationError, "{code}");
            assert_eq!(api.message(), INVALID_TEXT_MESSAGE);
            assert!(!api.body().to_string().contains("0x00"));
        }
    }

    #[test]
    fn unavailable_becomes_503_and_bugs_become_generic_500() {
        let unavailable: ApiError = DbError::Unavailable("refused".into()).into();
        assert_eq!(unavailable.code(), ErrorCode::ServiceUnavailable);
        let bug: ApiError = DbError::Query("42601: syntax error near SELEC".into()).into();
        assert_eq!(bug.code(), ErrorCode::Internal);
        assert!(!bug.message().contains("SELEC"));
    }
}
