-- Which e-mail a user wants. Transactional mail (receipts, security notices)
-- is always sent; the column exists for the contract's shape and stays true.

CREATE TABLE notification_preferences (
    user_id             text PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    email_marketing     boolean NOT NULL DEFAULT true,
    email_transactional boolean NOT NULL DEFAULT true CHECK (email_transactional),
    email_digest        boolean NOT NULL DEFAULT true,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now()
);

CREATE TRIGGER set_updated_at BEFORE UPDATE ON notification_preferences
FOR EACH ROW EXECUTE FUNCTION set_updated_at();
