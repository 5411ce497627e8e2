-- The media library: a creator's uploaded video and audio, from the
-- declared file through upload, transcoding and readiness. Only the
-- service sets status, storage keys, duration and dimensions; the client
-- names and describes.
CREATE TABLE media_items (
    id                       uuid PRIMARY KEY,
    creator_id               text NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
    title                    text NOT NULL CHECK (length(title) BETWEEN 1 AND 255),
    description              text CHECK (length(description) <= 5000),
    media_type               text NOT NULL CHECK (media_type IN ('video', 'audio')),
    status                   text NOT NULL DEFAULT 'uploading'
        CHECK (status IN ('uploading', 'uploaded', 'transcoding', 'ready', 'failed')),
    r2_key                   text NOT NULL CHECK (length(r2_key) <= 500),
    file_size_bytes          bigint NOT NULL CHECK (file_size_bytes BETWEEN 1024 AND 5368709120),
    mime_type                text NOT NULL CHECK (length(mime_type) <= 100),
    -- How the browser uploads the original: one presigned PUT, or an S3
    -- multipart upload the service started (its id, part size and count).
    upload_mode              text NOT NULL CHECK (upload_mode IN ('single', 'multipart')),
    upload_id                text CHECK (length(upload_id) <= 1024),
    part_size                bigint CHECK (part_size > 0),
    part_count               integer CHECK (part_count BETWEEN 1 AND 10000),
    CHECK ((upload_mode = 'multipart') = (upload_id IS NOT NULL AND part_size IS NOT NULL AND part_count IS NOT NULL)),
    duration_seconds         integer CHECK (duration_seconds BETWEEN 0 AND 86400),
    width                    integer CHECK (width BETWEEN 1 AND 7680),
    height                   integer CHECK (height BETWEEN 1 AND 4320),
    hls_master_playlist_key  text CHECK (length(hls_master_playlist_key) <= 500),
    hls_preview_key          text CHECK (length(hls_preview_key) <= 500),
    thumbnail_key            text CHECK (length(thumbnail_key) <= 500),
    waveform_key             text CHECK (length(waveform_key) <= 500),
    waveform_image_key       text CHECK (length(waveform_image_key) <= 500),
    mezzanine_key            text CHECK (length(mezzanine_key) <= 500),
    mezzanine_status         text CHECK (mezzanine_status IN ('pending', 'processing', 'ready', 'failed')),
    runpod_job_id            text CHECK (length(runpod_job_id) <= 255),
    transcoding_error        text CHECK (length(transcoding_error) <= 2000),
    transcoding_attempts     integer NOT NULL DEFAULT 0 CHECK (transcoding_attempts BETWEEN 0 AND 3),
    transcoding_priority     integer NOT NULL DEFAULT 2 CHECK (transcoding_priority BETWEEN 0 AND 4),
    transcoding_progress     integer CHECK (transcoding_progress BETWEEN 0 AND 100),
    transcoding_step         text CHECK (length(transcoding_step) <= 50),
    ready_variants           jsonb,
    loudness_integrated      integer,
    loudness_peak            integer,
    loudness_range           integer,
    uploaded_at              timestamptz,
    created_at               timestamptz NOT NULL DEFAULT now(),
    updated_at               timestamptz NOT NULL DEFAULT now(),
    deleted_at               timestamptz,
    CONSTRAINT status_ready_requires_keys CHECK (
        status <> 'ready' OR (
            hls_master_playlist_key IS NOT NULL AND duration_seconds IS NOT NULL AND
            (CASE media_type WHEN 'video' THEN thumbnail_key IS NOT NULL
                             ELSE waveform_key IS NOT NULL END)
        )
    ),
    CONSTRAINT uploaded_at_once_uploaded CHECK (
        status = 'uploading' OR uploaded_at IS NOT NULL
    )
);

CREATE INDEX media_items_creator ON media_items (creator_id, created_at DESC) WHERE deleted_at IS NULL;
CREATE INDEX media_items_creator_status ON media_items (creator_id, status) WHERE deleted_at IS NULL;
CREATE INDEX media_items_runpod_job ON media_items (runpod_job_id) WHERE runpod_job_id IS NOT NULL;
-- The sweep of abandoned uploads.
CREATE INDEX media_items_uploading ON media_items (created_at) WHERE status = 'uploading';
CREATE UNIQUE INDEX media_items_r2_key ON media_items (r2_key);

-- Stored objects still to be removed: a deleted media item's prefixes, or
-- an abandoned upload. A removal that fails stays here with its error and
-- is tried again later; it is never forgotten.
CREATE TABLE storage_removals (
    id              uuid PRIMARY KEY,
    -- A prefix ending in '/', or one key.
    target          text NOT NULL CHECK (length(target) BETWEEN 1 AND 1024),
    -- The multipart upload to abort first, if any, and its object's key.
    upload_key      text CHECK (length(upload_key) <= 1024),
    upload_id       text CHECK (length(upload_id) <= 1024),
    CHECK ((upload_key IS NULL) = (upload_id IS NULL)),
    attempts        integer NOT NULL DEFAULT 0,
    last_error      text CHECK (length(last_error) <= 2000),
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX storage_removals_due ON storage_removals (next_attempt_at);

-- The organisation's intro video is one of the library's media items.
ALTER TABLE branding_settings
    ADD CONSTRAINT branding_settings_intro_video_media_item
    FOREIGN KEY (intro_video_media_item_id) REFERENCES media_items (id) ON DELETE SET NULL;
