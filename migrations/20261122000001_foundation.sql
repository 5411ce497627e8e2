-- Foundation: helpers every later migration uses, and the mail outbox.

-- Keeps updated_at current on every UPDATE. Attach it to a table with:
--   CREATE TRIGGER set_updated_at BEFORE UPDATE ON my_table
--   FOR EACH ROW EXECUTE FUNCTION set_updated_at();
CREATE OR REPLACE FUNCTION set_updated_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at = now();
    RETURN NEW;
END;
$$;

-- Every message the mailer hands on (or, with no transport configured,
-- keeps): the local outbox that development and the e2e suite read.
CREATE TABLE mail_outbox (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    to_address  text NOT NULL CHECK (length(to_address) BETWEEN 3 AND 320),
    from_address text NOT NULL,
    subject     text NOT NULL CHECK (length(subject) <= 998),
    text_body   text NOT NULL,
    html_body   text,
    transport   text NOT NULL CHECK (transport IN ('outbox', 'smtp', 'resend')),
    status      text NOT NULL DEFAULT 'kept' CHECK (status IN ('kept', 'sent', 'failed')),
    error       text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX mail_outbox_to_address_created_at ON mail_outbox (lower(to_address), created_at DESC);

CREATE TRIGGER set_updated_at BEFORE UPDATE ON mail_outbox
FOR EACH ROW EXECUTE FUNCTION set_updated_at();
