//! How the Workers adapter classifies tokio-postgres errors. It lives apart
//! from `edge` (which needs the Workers runtime) so that its tests run
//! natively, against errors made by tokio-postgres itself.

use std::error::Error as _;

use crate::DbError;

/// How tokio-postgres's `Display` begins for the failures of a statement
/// itself: a value that does not fit its parameter (`ToSql`), a column that
/// cannot be read (`FromSql`, `Column`), the wrong number of parameters,
/// columns or rows. Its error kinds are not public; their texts are stable.
const STATEMENT_FAILURES: [&str; 5] = [
    "error serializing parameter",
    "error deserializing column",
    "invalid column",
    "query returned an unexpected number of",
    "expected ",
];

/// A server error goes by its SQLSTATE; a failure of the statement itself
/// on our side is a bug, `Query`. Anything else concerns the link to the
/// database: closed, I/O, TLS, a message that makes no sense there or
/// cannot be parsed or encoded, authentication, configuration, a timeout.
/// All of that is `Unavailable`, 503: the request may succeed later.
pub(crate) fn map_error(error: &tokio_postgres::Error) -> DbError {
    if let Some(db) = error.as_db_error() {
        return DbError::from_sqlstate(db.code().code(), db.constraint(), db.message());
    }
    let kind = error.to_string();
    let described = match error.source() {
        Some(source) => format!("{kind}: {source}"),
        None => kind.clone(),
    };
    if STATEMENT_FAILURES
        .iter()
        .any(|failure| kind.starts_with(failure))
    {
        DbError::Query(described)
    } else {
        DbError::Unavailable(described)
    }
}

#[cfg(test)]
mod tests {
    //! A stand-in server on an in-memory pipe speaks just enough of the
    //! PostgreSQL protocol to make tokio-postgres produce each kind of
    //! error, with no database involved.

    use std::collections::VecDeque;

    use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};
    use tokio_postgres::NoTls;
    use tokio_postgres::types::ToSql;

    use super::*;

    /// A backend message: tag, length, body.
    fn message(tag: u8, body: &[u8]) -> Vec<u8> {
        let length = i32::try_from(body.len() + 4).unwrap_or(i32::MAX);
        let mut bytes = vec![tag];
        bytes.extend_from_slice(&length.to_be_bytes());
        bytes.extend_from_slice(body);
        bytes
    }

    fn authentication_ok() -> Vec<u8> {
        message(b'R', &0_i32.to_be_bytes())
    }

    fn ready() -> Vec<u8> {
        message(b'Z', b"I")
    }

    fn error_response(code: &str) -> Vec<u8> {
        let mut body = Vec::new();
        for (field, value) in [
            (b'S', "ERROR"),
            (b'V', "ERROR"),
            (b'C', code),
            (b'M', "refused"),
        ] {
            body.push(field);
            body.extend_from_slice(value.as_bytes());
            body.push(0);
        }
        body.push(0);
        message(b'E', &body)
    }

    /// What `Parse` + `Describe` + `Sync` of a statement with one `int4`
    /// parameter and no result columns gets back.
    fn described_one_int4_parameter() -> Vec<u8> {
        let mut parameters = 1_i16.to_be_bytes().to_vec();
        parameters.extend_from_slice(&23_u32.to_be_bytes());
        [
            message(b'1', b""),
            message(b't', &parameters),
            message(b'n', b""),
            ready(),
        ]
        .concat()
    }

    /// Reads the startup message and answers `greeting` (hanging up when it
    /// is empty); then answers each `Sync` with the next of `replies`, and
    /// hangs up when none is left.
    async fn serve(mut stream: DuplexStream, greeting: Vec<u8>, mut replies: VecDeque<Vec<u8>>) {
        let Ok(length) = stream.read_i32().await else {
            return;
        };
        let mut startup = vec![0_u8; usize::try_from(length - 4).unwrap_or(0)];
        if stream.read_exact(&mut startup).await.is_err() || greeting.is_empty() {
            return;
        }
        if stream.write_all(&greeting).await.is_err() {
            return;
        }
        loop {
            let Ok(tag) = stream.read_u8().await else {
                return;
            };
            let Ok(length) = stream.read_i32().await else {
                return;
            };
            let mut body = vec![0_u8; usize::try_from(length - 4).unwrap_or(0)];
            if stream.read_exact(&mut body).await.is_err() {
                return;
            }
            if tag == b'S' {
                let Some(reply) = replies.pop_front() else {
                    return;
                };
                if stream.write_all(&reply).await.is_err() {
                    return;
                }
            }
        }
    }

    /// Connects to a stand-in server; the connection's error if that fails.
    async fn connect(
        greeting: Vec<u8>,
        replies: Vec<Vec<u8>>,
    ) -> Result<tokio_postgres::Client, tokio_postgres::Error> {
        let (ours, theirs) = tokio::io::duplex(64 * 1024);
        tokio::spawn(serve(theirs, greeting, replies.into()));
        let mut config = tokio_postgres::Config::new();
        config.user("postgres").dbname("codex");
        let (client, connection) = config.connect_raw(ours, NoTls).await?;
        tokio::spawn(connection);
        Ok(client)
    }

    async fn connect_error(greeting: Vec<u8>) -> tokio_postgres::Error {
        match connect(greeting, Vec::new()).await {
            Ok(_) => panic!("the connection should have failed"),
            Err(error) => error,
        }
    }

    async fn query_error(replies: Vec<Vec<u8>>, params: &[&(dyn ToSql + Sync)]) -> DbError {
        let greeting = [authentication_ok(), ready()].concat();
        let client = connect(greeting, replies).await.expect("handshake");
        let error = client
            .query("SELECT $1", params)
            .await
            .expect_err("the query should fail");
        map_error(&error)
    }

    #[tokio::test]
    async fn a_connection_cut_or_garbled_while_it_opens_is_unavailable() {
        // Hung up right after the startup message.
        let closed = connect_error(Vec::new()).await;
        assert!(
            matches!(map_error(&closed), DbError::Unavailable(_)),
            "{closed}"
        );
        // Answered with something that is not an authentication message.
        let unexpected = connect_error(ready()).await;
        assert!(
            matches!(map_error(&unexpected), DbError::Unavailable(_)),
            "{unexpected}"
        );
        // Answered with bytes that are no message at all.
        let garbage = connect_error(message(b'~', b"??")).await;
        assert!(
            matches!(map_error(&garbage), DbError::Unavailable(_)),
            "{garbage}"
        );
        // Refused by the server while it starts up.
        let starting = connect_error(error_response("57P03")).await;
        assert!(
            matches!(map_error(&starting), DbError::Unavailable(_)),
            "{starting}"
        );
        let timeout = tokio_postgres::Error::__private_api_timeout();
        assert!(matches!(map_error(&timeout), DbError::Unavailable(_)));
    }

    #[tokio::test]
    async fn a_connection_lost_during_a_statement_is_unavailable() {
        let error = query_error(Vec::new(), &[&1_i32]).await;
        assert!(matches!(error, DbError::Unavailable(_)), "{error:?}");
    }

    #[tokio::test]
    async fn failures_of_the_statement_itself_are_bugs() {
        // One parameter expected, none given.
        let missing = query_error(vec![described_one_int4_parameter()], &[]).await;
        assert!(matches!(missing, DbError::Query(_)), "{missing:?}");
        // Text where the server expects an int4.
        let mismatched = query_error(vec![described_one_int4_parameter()], &[&"seven"]).await;
        assert!(matches!(mismatched, DbError::Query(_)), "{mismatched:?}");
    }

    #[tokio::test]
    async fn server_errors_go_by_their_sqlstate() {
        let nul = query_error(vec![[error_response("22021"), ready()].concat()], &[]).await;
        assert!(matches!(nul, DbError::InvalidText(_)), "{nul:?}");
        let syntax = query_error(vec![[error_response("42601"), ready()].concat()], &[]).await;
        assert!(matches!(syntax, DbError::Query(_)), "{syntax:?}");
        let shutdown = query_error(vec![[error_response("57P01"), ready()].concat()], &[]).await;
        assert!(matches!(shutdown, DbError::Unavailable(_)), "{shutdown:?}");
    }
}
