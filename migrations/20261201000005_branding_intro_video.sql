-- The organisation's intro video, shown on its storefront: the media item
-- it was made from and the URL it plays at. There is no foreign key to
-- `media_items` yet because that table arrives with the media library;
-- the migration that creates it adds
-- `REFERENCES media_items (id) ON DELETE SET NULL` to this column.
ALTER TABLE branding_settings
    ADD COLUMN intro_video_media_item_id uuid,
    ADD COLUMN intro_video_url           text CHECK (length(intro_video_url) <= 2048);
