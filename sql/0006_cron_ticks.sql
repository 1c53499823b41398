-- "Build periodically": one row per (job, minute) a timer trigger fired. Its key makes each tick
-- fire once however many masters run; rows older than a day are removed by the scheduler.
CREATE TABLE cron_ticks (
  job_id bigint NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
  minute timestamptz NOT NULL,
  PRIMARY KEY (job_id, minute)
);
