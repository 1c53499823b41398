-- When each console row was stored: a line's time is the time its first byte reached the master
-- (Timestamper-style timestamps, shown on request). One column of the row the bytes go into
-- anyway, filled by its default: uploads (COPY) and appends pay nothing more for it.
-- Rows stored before this migration have no time (NULL): their lines show none.
ALTER TABLE build_log_chunks ADD COLUMN written_at timestamptz;
ALTER TABLE build_log_chunks ALTER COLUMN written_at SET DEFAULT now();
