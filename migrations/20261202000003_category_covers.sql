-- A category's cover: `cover_image_key` is the folder of its three WebP
-- files (`category-covers/{id}/{name}`), `cover_image_url` the `md` file's
-- public URL, kept beside it as avatars and logos keep theirs.
ALTER TABLE categories
    ADD COLUMN cover_image_url text CHECK (length(cover_image_url) <= 2048);
