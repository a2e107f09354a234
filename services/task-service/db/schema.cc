#include "db/schema.h"

namespace taskgres::tasks {

const std::vector<Migration>& Migrations() {
  static const std::vector<Migration> migrations = {
      {1,
       "users, tasks and task change notifications",
       {
           R"sql(CREATE TABLE users (
                   username text PRIMARY KEY CHECK (username ~ '^[a-z0-9_.-]{3,32}$'),
                   password_hash text NOT NULL,
                   role text NOT NULL CHECK (role IN ('CLIENT', 'ADMIN')),
                   create_time timestamptz NOT NULL DEFAULT now()))sql",
           R"sql(CREATE TABLE tasks (
                   id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                   owner text NOT NULL REFERENCES users (username) ON UPDATE CASCADE ON DELETE CASCADE,
                   description text NOT NULL CHECK (char_length(description) BETWEEN 1 AND 1000),
                   done boolean NOT NULL DEFAULT false,
                   source text NOT NULL CHECK (source IN ('MANUAL', 'FORTUNE')),
                   version bigint NOT NULL DEFAULT 1,
                   request_id text CHECK (char_length(request_id) <= 200),
                   create_time timestamptz NOT NULL DEFAULT now(),
                   update_time timestamptz NOT NULL DEFAULT now(),
                   CONSTRAINT tasks_owner_request_id UNIQUE (owner, request_id)))sql",
           "CREATE INDEX tasks_owner_id ON tasks (owner, id)",
           "CREATE INDEX tasks_owner_fortunes ON tasks (owner) WHERE source = 'FORTUNE'",
           // Every committed change reaches every task-service through LISTEN.
           R"sql(CREATE FUNCTION notify_task_change() RETURNS trigger LANGUAGE plpgsql AS $$
                 DECLARE
                   t tasks;
                 BEGIN
                   IF TG_OP = 'DELETE' THEN t := OLD; ELSE t := NEW; END IF;
                   PERFORM pg_notify('task_events', json_build_object(
                     'op', TG_OP, 'id', t.id, 'owner', t.owner, 'description', t.description,
                     'done', t.done, 'source', t.source, 'version', t.version,
                     'create_us', (extract(epoch FROM t.create_time) * 1000000)::bigint,
                     'update_us', (extract(epoch FROM t.update_time) * 1000000)::bigint)::text);
                   RETURN NULL;
                 END $$)sql",
           R"sql(CREATE TRIGGER tasks_notify AFTER INSERT OR UPDATE OR DELETE ON tasks
                 FOR EACH ROW EXECUTE FUNCTION notify_task_change())sql",
       }},
      {2,
       "owner statistics that keep task listing on the (owner, id) index",
       {
           // The router runs prepared statements, and after five runs PostgreSQL may switch to
           // a generic plan, which cannot know how many tasks this owner has: with measured
           // statistics (few owners, many tasks) it preferred walking the primary key and
           // filtering by owner, i.e. reading the whole table for an owner with few tasks
           // (4 ms instead of 0.05 ms per page). Assuming about 100 tasks per owner keeps the
           // generic plan on the owner index, which is right for any owner; custom plans still
           // see the real most-common owners.
           "ALTER TABLE tasks ALTER COLUMN owner SET (n_distinct = -0.01)",
           "ANALYZE tasks",
       }},
  };
  return migrations;
}

}  // namespace taskgres::tasks
