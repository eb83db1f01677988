-- The data generation: one number every committed write through db.InTx moves on, so that
-- the rendered pages a process keeps are known stale the moment the data changes (there, or
-- in another process on the same database).
CREATE TABLE data_generation (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    n  BIGINT NOT NULL
);
INSERT INTO data_generation (id, n) VALUES (1, 0);
