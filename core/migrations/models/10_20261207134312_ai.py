from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True


async def upgrade(db: BaseDBAsyncClient) -> str:
    return """
        CREATE TABLE IF NOT EXISTS "ai_insights" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "day" DATE NOT NULL,
    "payload" JSONB NOT NULL,
    "computed_at" TIMESTAMPTZ NOT NULL,
    "app_id" INT NOT NULL UNIQUE REFERENCES "apps" ("id") ON DELETE CASCADE
);
COMMENT ON TABLE "ai_insights" IS 'An app''s latest insights (anomalies, daily summary, weekly report), computed daily or on demand.';
        CREATE TABLE IF NOT EXISTS "ai_usage" (
    "id" BIGSERIAL NOT NULL PRIMARY KEY,
    "day" DATE NOT NULL,
    "model" VARCHAR(128) NOT NULL,
    "requests" INT NOT NULL,
    "input_tokens" BIGINT NOT NULL,
    "output_tokens" BIGINT NOT NULL,
    "org_id" INT NOT NULL REFERENCES "orgs" ("id") ON DELETE CASCADE,
    CONSTRAINT "uid_ai_usage_org_id_e43878" UNIQUE ("org_id", "day", "model")
);
COMMENT ON TABLE "ai_usage" IS 'Tokens spent per organisation, UTC day and model (pipelines.ai.client counts every call).';
        CREATE TABLE IF NOT EXISTS "ai_conversations" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "title" VARCHAR(255) NOT NULL,
    "created_at" TIMESTAMPTZ NOT NULL,
    "updated_at" TIMESTAMPTZ NOT NULL,
    "org_id" INT NOT NULL REFERENCES "orgs" ("id") ON DELETE CASCADE,
    "user_id" INT NOT NULL REFERENCES "users" ("id") ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS "idx_ai_conversa_user_id_7bcecc" ON "ai_conversations" ("user_id", "updated_at");
COMMENT ON TABLE "ai_conversations" IS 'A chat with the assistant; each belongs to one user of one organisation.';
        CREATE TABLE IF NOT EXISTS "ai_messages" (
    "id" BIGSERIAL NOT NULL PRIMARY KEY,
    "role" VARCHAR(16) NOT NULL,
    "content" JSONB NOT NULL,
    "tokens" INT NOT NULL,
    "created_at" TIMESTAMPTZ NOT NULL,
    "conversation_id" INT NOT NULL REFERENCES "ai_conversations" ("id") ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS "idx_ai_messages_convers_9499d4" ON "ai_messages" ("conversation_id", "id");
COMMENT ON TABLE "ai_messages" IS 'One Messages-API message of a conversation: role and content blocks, as sent to the model.';
        CREATE TABLE IF NOT EXISTS "ai_reports" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "type" VARCHAR(16) NOT NULL,
    "title" VARCHAR(255) NOT NULL,
    "content" TEXT NOT NULL,
    "data" JSONB NOT NULL,
    "narrative_source" VARCHAR(16) NOT NULL,
    "created_by_id" INT,
    "created_at" TIMESTAMPTZ NOT NULL,
    "app_id" INT NOT NULL REFERENCES "apps" ("id") ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS "idx_ai_reports_app_id_bbfcd1" ON "ai_reports" ("app_id", "created_at");
COMMENT ON TABLE "ai_reports" IS 'A generated report of an app (POST /ai/reports), kept and listed.';
        -- Natural-language query (pipelines.ai.reader): documented read-only views of ONE app's data, read by a
        -- login role of their own (SELECT on these views, nothing else). The app is bound to the reader's
        -- backend by a row the platform's own connection writes for that backend's pid (nlq_private.sessions);
        -- the views filter on nlq.current_app(), a SECURITY DEFINER function reading that row, which the reader
        -- can neither write nor change (unlike a GUC, which any role may set). security_barrier keeps the
        -- reader's own conditions (and their errors) from seeing rows before the app filter.
        CREATE SCHEMA IF NOT EXISTS nlq;
        CREATE SCHEMA IF NOT EXISTS nlq_private;
        REVOKE ALL ON SCHEMA nlq FROM PUBLIC;
        REVOKE ALL ON SCHEMA nlq_private FROM PUBLIC;
        CREATE TABLE IF NOT EXISTS nlq_private.sessions (
            pid INT NOT NULL PRIMARY KEY,
            app_id INT NOT NULL,
            bound_at TIMESTAMPTZ NOT NULL DEFAULT now()
        );
        CREATE TABLE IF NOT EXISTS nlq_private.reader (
            id INT NOT NULL PRIMARY KEY DEFAULT 1 CHECK (id = 1),
            role_name TEXT NOT NULL,
            password TEXT,
            error TEXT,
            updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
        );
        CREATE OR REPLACE FUNCTION nlq.current_app() RETURNS INT
            LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
            SELECT app_id FROM nlq_private.sessions WHERE pid = pg_catalog.pg_backend_pid()
        $$;
        REVOKE ALL ON FUNCTION nlq.current_app() FROM PUBLIC;
        CREATE OR REPLACE VIEW nlq.devices WITH (security_barrier) AS
            SELECT id, android_id, brand, model, android_version, app_version, country, install_type,
                user_segment, sessions_count, ad_watches, purchases, purchase_revenue, ad_revenue,
                sessions_30d, ad_watches_30d, purchases_30d, first_seen_at, last_seen_at, created_at
            FROM public.devices WHERE app_id = nlq.current_app();
        CREATE OR REPLACE VIEW nlq.events WITH (security_barrier) AS
            SELECT id, device_id, event_type, event_data, created_at
            FROM public.events WHERE app_id = nlq.current_app();
        CREATE OR REPLACE VIEW nlq.purchases WITH (security_barrier) AS
            SELECT id, device_id, event_data ->> 'product_id' AS product_id,
                CASE WHEN jsonb_typeof(event_data -> 'amount') = 'number'
                    THEN (event_data ->> 'amount')::numeric END AS amount,
                event_data ->> 'currency' AS currency, created_at
            FROM public.events WHERE app_id = nlq.current_app() AND event_type = 'purchase';
        CREATE OR REPLACE VIEW nlq.ad_revenue WITH (security_barrier) AS
            SELECT id, device_id, ad_type, ad_network, revenue, ecpm, geo_tier, country, created_at
            FROM public.revenue_events WHERE app_id = nlq.current_app();
        CREATE OR REPLACE VIEW nlq.daily WITH (security_barrier) AS
            SELECT day, active_devices, new_devices, events, sessions, ad_watches, purchases,
                purchase_revenue, ad_revenue, ad_impressions
            FROM public.app_daily WHERE app_id = nlq.current_app();
        CREATE OR REPLACE VIEW nlq.daily_events WITH (security_barrier) AS
            SELECT day, event_type, count FROM public.app_daily_events WHERE app_id = nlq.current_app();
        -- The reader role: one per database (roles are cluster-wide; several databases may share a server),
        -- created or updated with a fresh random password kept in nlq_private.reader. Needs CREATEROLE (or a
        -- superuser); without it the error is kept there and the NL query answers 503 with it. Run again by
        -- `vaimanasoft nlq-role` (e.g. as a user that has CREATEROLE).
        CREATE OR REPLACE FUNCTION nlq_private.ensure_reader() RETURNS TEXT LANGUAGE plpgsql AS $$
        DECLARE
            reader TEXT := 'vs_nlq_' || left(md5(current_database()), 16);
            secret TEXT := replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', '');
            options TEXT := 'LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT NOREPLICATION NOBYPASSRLS '
                || 'CONNECTION LIMIT 50 PASSWORD %L';
        BEGIN
            BEGIN
                IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = reader) THEN
                    EXECUTE format('ALTER ROLE %I WITH ' || options, reader, secret);
                ELSE
                    EXECUTE format('CREATE ROLE %I WITH ' || options, reader, secret);
                END IF;
                -- Backstops: the platform sets these per transaction too.
                EXECUTE format('ALTER ROLE %I SET statement_timeout = %L', reader, '30s');
                EXECUTE format('ALTER ROLE %I SET default_transaction_read_only = on', reader);
                EXECUTE format('ALTER ROLE %I SET idle_in_transaction_session_timeout = %L', reader, '60s');
                EXECUTE format('ALTER ROLE %I SET search_path = nlq', reader);
                EXECUTE format('GRANT CONNECT ON DATABASE %I TO %I', current_database(), reader);
                EXECUTE format('GRANT USAGE ON SCHEMA nlq TO %I', reader);
                EXECUTE format('GRANT SELECT ON ALL TABLES IN SCHEMA nlq TO %I', reader);
                EXECUTE format('GRANT EXECUTE ON FUNCTION nlq.current_app() TO %I', reader);
            EXCEPTION WHEN insufficient_privilege OR duplicate_object OR unique_violation THEN
                INSERT INTO nlq_private.reader (id, role_name, password, error, updated_at)
                    VALUES (1, reader, NULL, SQLERRM, now())
                    ON CONFLICT (id) DO UPDATE SET role_name = EXCLUDED.role_name, password = NULL,
                        error = EXCLUDED.error, updated_at = now();
                RETURN SQLERRM;
            END;
            INSERT INTO nlq_private.reader (id, role_name, password, error, updated_at)
                VALUES (1, reader, secret, NULL, now())
                ON CONFLICT (id) DO UPDATE SET role_name = EXCLUDED.role_name, password = EXCLUDED.password,
                    error = NULL, updated_at = now();
            RETURN NULL;
        END $$;
        REVOKE ALL ON FUNCTION nlq_private.ensure_reader() FROM PUBLIC;
        SELECT nlq_private.ensure_reader();"""


async def downgrade(db: BaseDBAsyncClient) -> str:
    return """

        DO $$
        DECLARE reader TEXT := 'vs_nlq_' || left(md5(current_database()), 16);
        BEGIN
            IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = reader) THEN
                EXECUTE format('REVOKE ALL ON DATABASE %I FROM %I', current_database(), reader);
                EXECUTE format('DROP OWNED BY %I', reader);
                EXECUTE format('DROP ROLE %I', reader);
            END IF;
        EXCEPTION WHEN insufficient_privilege OR dependent_objects_still_exist THEN
            RAISE NOTICE 'reader role % left in place: %', reader, SQLERRM;
        END $$;
        DROP SCHEMA IF EXISTS nlq CASCADE;
        DROP SCHEMA IF EXISTS nlq_private CASCADE;
        DROP TABLE IF EXISTS "ai_messages";
        DROP TABLE IF EXISTS "ai_conversations";
        DROP TABLE IF EXISTS "ai_reports";
        DROP TABLE IF EXISTS "ai_usage";
        DROP TABLE IF EXISTS "ai_insights";"""


MODELS_STATE = (
    "eJztXf1z27iZ/lcw+mWdGcXr2FnHl3Q64zhO62sS52L7rtemw8IkJKGmSBYA7Wj28r8fAH"
    "6BJEiRkihRNGZ2dtckXlB6AIHv+7xfv4/mvoNcenhuM/yI2eLSY2Qxegt+H3lwjvj/6AeM"
    "wQgGQXZbXGDw3pUSMB5quf5UjrynjPCL/N4EuhTxSw6iNsEBw74nJK49BOYhgwx7U0DQv0"
    "NEGfAnAHrAJ1PoYQrFUHDAZggk0wM+/TvgoUdEAHIwQw5gM+KH0xkQw86/Xr04FI93fJs/"
    "n8/c+ZNCD/MJLeZPEb9O+PP+/g9+GXsO+oGo+PP30QQj15H/P+IPtLAjEWIjMRD9CAiilD"
    "+fJrLxKnih6wqIF4FEeCQHc1DlHz/HoGpeWyK8/hPEwODBkg/J7Y7oOfK6lci+x9Mrj32U"
    "YwX+95btu+Hcy8YHCzbzvVQAe0xcnSIPEcjR5dcYCcU+EZ8q3lbJ1olAzoZE6CoyDprA0G"
    "XZd+IfILs2sqwv17fWzeWtZY1KOzGRULZMfMnmkHE4+EelEoCp+Agv/+P4+OTkzfHRyenZ"
    "b6/fvPnt7OiMj5Wft3zrzc/ow2RoRVNJzK7+dPXlVnwgn/9Uot+RuPBTykAGrWyBM/RDio"
    "ilW4JK/BWJ5YuQQK6sQoxxugjJkGwVsp/49pbh+NXrN6/PTk5fp+inV+pATwAuAIrmELtl"
    "TC9mkNSAmkoVcOUfdw9xncMflou8KZsJMH/7rQbF/z7/dvHn828HfNSL/Ab+Et86ju7loc"
    "7OpqYwZxIrQVw6QHqF8enrBhCfvq5EWNzKA8wPej8kNopgaoFzSXCAcJ8cN4D75LgSbnGr"
    "Am7dedwAbO2hPIDDY/MbGwdtAI5GG1yX4ypfY5Bjwlq//FKp4eH826smRwUfVYm0vJeH2k"
    "GMawu0jPN/3lx/0eOsiBRAdrDNwP8BF9M91OBqsBVYiJnnlP7bVSE9+Hz+1yLaF5+u30ts"
    "fMqmRM4iJ3hfVDs0m/sDR4vhOapQO3Qb24lFDpP/2cc3IkHQufbcRbwrapbi9urz5c3t+e"
    "evufX4cH57Ke4cy6uLwtWD08IapZOA/7m6/TMQf4K/XX+5LC5bOu72b8K2HcGQ+ZbnP1nQ"
    "Ucy85GqCWm6VMxO4oV2UCaxkFvVuaTdgFwmbf/KgtTs5WmVsP/oE4an3F7SQEF/xDwQ9W6"
    "dAxpTSdTTLnkH7M9k6ydVsSxL4lFIkyo7i35x/X8SiF+n5zcX5h8uIUrmH9sMTJI6Vw1nc"
    "8Y/9wpV0bPnW/HhevAI9/kp24i8hPnJC4zk3TIA91ZN82d1xLcPnWDQaiBFtRvGde4DP9w"
    "sF0AEcuwmehiSi2iY+Ab6HQED8CXYRoGg659oEOPAfESGYzyMIOkG00RkOAuSAeE2pht/r"
    "7jEacu/vEiJ+L55r9I8C3deKNnsunNmaZE01G5asQgvlVRExRm4DI5cqx0NTxVWVWUtzXQ"
    "ns0R8moSeJI3AfYpdhjx6Kx/5xNBCFNjrlLH6IUS2fVnmslAW3p/q86vURo5jEgdDvHau9"
    "1ZCXNNZDX6yHBCPFfIg/vWIjBkE76yETMNbDcushVprWtB7Oo1n2DNqm1kO2o3plPWC+Ln"
    "g6YyOd8ZDerLcdsIWjcW0tB5cvM2UgkQYH0PPn0OUmyBg4ELsLQMP5HJLFGDwh9MD/Jijw"
    "CXsx5qbAPAiF3z4aJ00Brt/zL+rU2BAdPnB5qICxHbZpOzhQo9OKN3wFGQu16qz6Wt/fw0"
    "mHoHgtF3SjAC5cH2o2Y7UpoIhs3xIYEImdnC4r6KUFUaOYGsW0xdLu/TugpJa2UaSWqLDX"
    "Hrr1+b+6VWB3ugSdqK9rqqR3FMqNoVFIo1vL1NEwHbVUF731H5BHAQ0EcxwgkgsaHYO72w"
    "uu8C0A1/KAfBY4CHCAXOwhegjxoc11Ry5o+yHHE4h40gWwoetqiOxOn6TlsmOnTqzayEnX"
    "I7RNHKi4t404UKO9ttZeo/1dAq3aVZAKDNBR8Or4rIGngI+qdBXIe8WAOBldrwlyqTwVVJ"
    "HtMWlHPdZXcnFvHtfc+aEtXgwtT9uC5GCw3cq5q8Q9hGzVJSiJmjVYcQ1MaM/ap4oJ7Rli"
    "aI+LCP8JEJTXzMt3x7X2kBhnzTBlfpzn1yh7b4IFsjKTDpDQRW8BZNwwEcl1IuaG2y/iqj"
    "RXnvjq+k/gIFr1F2Pg+Qzz7+jwoTbSp+xtdnqt+SMmEDcjeYvvcMKUv5HnGGuoT2+Eamuo"
    "uIJNzaKi3LO2j5Rt3x7CWOpZA/gI3VCTdvXR9WHFKZBKFHCbCJGB4XV99/7TJfj67fLi6u"
    "Yq9pCkTLu8KS7xCzh6t367PP9U9D8R9Ij9kFrtkS6Lrgj5/iRTbALxOaIJVZqH+hb9qEBa"
    "ERkEb1LnTLr86229py/F+9P1lz8lw4vuv4KnbwY9rx1RpYgMAvICVXXahKkq+ugUouq0yF"
    "Ml+uEKztSC6AacqftzoPTcd1rOCYKMoXnQio9URQbD12yMj0SE+KTNyyAVGEKW6LbfBBNh"
    "u69wRqlyJtqjLydWkyTGnUd77HppN3xeCYanHaCKhEF0OXecUGjrRnYLCvJbPNeeIdyUQl"
    "Z2lp5DLhwEm4DVBMzvhpOXW7mKkk/2+TJGXmyYpgHzIvPVwTLnTf6DkszWKKx9jjjkNh0D"
    "JOgPsRXA/QJAQO0ZcgSNroYSiYdrE207eogJjO9XYLz8bwnWavYhGT9A6qGTMmjR76QNwp"
    "nEADHePL2THlOtODRVyMDcAGY244bPzHc1Z3ANEZ+TMm6PJiS8SOCABFmRq63dpi5Kbm9n"
    "JzGn3W/tJpGM1XGMpSjGfSHgOcB0du9zjXU7MHdwUEewWVFdgjLg1WllZUlTZ6Kef1wh5w"
    "xTS9bD1miD733fRdCrULRVucK63HPBrhYkUcK3C/376+tPOejfXxW53bvP7y/5T+NF/qQv"
    "01UupMxKracVmF/tBMZH1WcflVyy9vEMeTETy9BEjSJoxZ9VXtK4VPryA2viUjH1fIa26p"
    "pjtX9p07teWlPPZ3/dExnOSlB+Qf+OBT/+5RtyYQVtpc0DGAjaPzv14UjPTNl7E+3XGr9N"
    "EDRz2FR//bo87YB/Of6BLfmxTOFR4yPpBbHciY8kt9Vb4FyUM3g3w5s6D9YD0rxoagrpZi"
    "KbQXm3B0Ye4yadNo6rO20clzptTOy5xc1IB3kMQ10biOoYSo2oiaZcIZqSwxgQ/1/IZi0b"
    "9pQlh4D/Fk4Vw7hUo7+ftrdhXJ7jqjdhXEyRhk4ZF1OkocsiDQqzVexzsgbvkmutMhDM8y"
    "xrsXKEIamWgZUG9a4J1cCC5fNqY8g31NyKO7WsidaFnOwm6/oyRMTSSKA1wfqgRhQNEij0"
    "iO11f4Af5CRDhQj9CBDBG/jlXaYTDRWqiQuna4L0kdu5IUEf+UxDRQliK2qSsCZU3+QkQ0"
    "KplQ8rByjO+m7oAU0qUzdQJ9QmHvtFYdUC28Lfd+F7oicWjJ9fcvzl7o+X1Ja2lcHN07dm"
    "kIEnzGZRPhWlWJhy7B1A0J6Be+T63pQC5susK9F/WaReyQwspUa0NmVrYxMvT9P6fZThHT"
    "WJjqwxhdYREvwFQxClEp54khjveJWTDTqSgzl28o+fxsO5TQ8nw0yX2lvNkqcCxudm2PHn"
    "yZMadvw5rrphx3fQpTPTLhoCqkgYRI2/YRv+huKG3QCgd/E0A0VU+ZGu7sKJC1CuyxsrZt"
    "znrKTlQIDvNHxWB90Sq1pBuNa4Vte2WZnyeGb68vzrFYjFo6riqqH+FhA/ribOLzPRSOne"
    "9e0HOuY2M6Dib24jCxNafi59yfLuHtXS9lYfF/+c+L+3Znubuufi3jbqnoud1MZGT8YP0E"
    "TvpIwIi50XjdPSMxHT7XSNzPOqdjuVx8oAm+xszFYyPFM11PvJODThmTQ6QMPfkkbSWMzL"
    "LWa74CRa09Ir+pz2DOymFp9ms/WpmmM+ekhnxBTDi6rNF01Y03ITRsR5UeBzjEAUuwIg48"
    "jfh4xfFjbEydFL2RVWFFzBbPGOGx7ze44oEEF5UQlG6eqzoWuHmdGbM166eMh37yD/ha1Y"
    "ZgyeCGZcTRJSMz77y+Tvm//6BLAHsiqR0QQJYKZaZB/9hCYTslsvofrJSjBXJ40VxIaQsL"
    "TthDHXn7Yr05kKbLEG3PmXD6OtbO6TBlv7pHJjn5SNa1fXSaKulKE7nE4SeWjrDuAE2jeV"
    "0L4pdWHWh5hXsxapQD9q6InnmRp6poZeHvCmNfQiBZYjGeqou0p1ryhmaCRtccJEwV+9Om"
    "FpBlOesD9xKxoayZCHz5A8NEFqQ1v1JkFqpmhepwSxKZq3rz19srRIDQOcy5msZn/zKZpN"
    "ckLEcxxpfYkgkifsTBET3XUk0erPgzDusCNCRdLZM/ZUbbcTEanZR9B29+n8eYa6NdRtb0"
    "6kLVC38U+oDRWjiBgyZuNkjDFmhqbWGmPmOa66MWaMMWOMmVWNmah6ic6SSeua1JgxWQGV"
    "TVe5jrcU9BziY0cgt1aNaxOFLu5tIwpdWbEW1kReaoA2xavjJo3p+KjqmPTjUnO6e8Jxaw"
    "NzKjA8v3k33VnFmdcG4FTAANwI4OR3L8I+W/Zo1Yga0JuBzlWRVQDPixmwG4Et6oXLhJQy"
    "1PVV3lOhIQC97XA9GbqhK0NaF1OWigwB8cLWbrKxq7d1cVNjYcy5boRQC4yLcsMDevOZhz"
    "INnmY5BU2xLsptMQ7VQ09dscRdo03jhOjWMWNlQRM1Vowag471BJk900WkVlNxOSEDahHU"
    "ICT2DNJWmOZkDKRVkFoEPSJP14z3A7LxHLr16KriRX9BJH8Yz7NvgNeg+eHy4urz+aeDV2"
    "fj00J8bnIgvz4qWSTOilDnBZ8jyGeNQU7fUCdHbVwhRTFzXFS/1lpCWxY04Fa+3lpiW5Iz"
    "0BahJcgWqbg1CkRNmpBG1gSp1PMYKwSpTDChjFtxyFshYqEkbIIW+hK00CRURWbIrLj0RV"
    "mz8vu08iY07TmuuglNG9qqm9A0E5q2e6fbnoamXT5WVFmKbozrAtMEJdS0qJIo1irHv1Nr"
    "EV1cf/1fUX/oPnQfxoD6wPPBJNo24AEtKDjg2lVUmBVPiSxypMmj2fDcVZFy8erJJ+lC5X"
    "L1YLPxirIgBFYtBytOM2X+OHl+o48wsX79jPUz7661312achVtN3VObEjAbmV7K80O5fnZ"
    "NqYhLzXA0NXT1w2c7KevK53s4pYOaHGstKEc81L9IBvFYwdDNhraYZWl6LnBWeYZBHWPH1"
    "da54KoWeheL3RqD5RW+e7u6kPdIatVJcIQO4dCcljLGhUrjNZJXQH5TTXcwo6s4ax/ss4k"
    "znVXrrGL8+2cGxSe8MD5r+9BJvcWOAROGHj5R0BCz+OYgz/w/w9gSJEjroriEIJBcDRVJd"
    "aczJSMMCUjenOimGq//Ti+O0kfeIQEQ23P+2rzRJXph3EyqEgIBgk/9q054h+rVSHmkuAA"
    "j5/Nm+iUQRZq9n81zpnEFjMNpP7Q1RbvPNeAb83V7O28pCma2msrjEO4yhqrcmaF+7zChj"
    "erPkL3M3DDhOs8x1U34TomXGf3r8QOw3UUpeQH/12EZN2+2BnveBlPOCDcO22LrUGultdV"
    "8W3C71q5FW5SYTiKIviFApk2ABJ50X8aegppCw58DwHiP4EgbRE3ltFKMQMCMANPkAJIKf"
    "/VIkdbX7jjp2kjpVCOJc+iJkxlsR6FY1TTzSY6ZqfRMfHvrQ0lpIgY0q1JXIw4BVcjC3KS"
    "xqToi0nRxJBUXtqtLIuS3JAOt64MjLwOsKadkXe77xnQTc2N0jbrU5LARwQZVxs/unCq05"
    "/V27WK8yQaaE34yMYasxj8DqBH6IYwboeRdb2QMx0mN8eAIvLIx0yIP5fqK/ZeBsS3EaXA"
    "hja/4E8ADLCUkxd0WvMWnlhXjVeMtB7QYj2N+bmoy53FXaTL0EIVU2WMLtZAFzPBLSa4Zf"
    "eusC6CW+RR0DbLISc0wD2+ee8+phbyxHfX8RVLuv0qglts95te2dt+v8R3XT9kVmC3Kd1Y"
    "kNqeGfXqaF9KBZmAuN4FxMWlXVstiSpjlmTjSxJ1OkyK7nJzudXi6KXNMm1+mWSlb9yu4F"
    "lOyCzKxhdljj1rxcYEGtEh2AVdW7gmbK0a+uF6G0zY2tBW3YSt7dyrZMLW9rXK1DXROo7E"
    "5XGdw8gnDf1E1TiadNZ+uVUM498t4x+4sJVan4zfYjrZhCDUlUHVNd8MA9zWKaiIbAbk3Z"
    "4POYBfHzUAWDRJqAC43D8hDiSsaAzUIARxeJ2BthyCaCzW6gXZT9ulymJtUXVFOQFthh8x"
    "0xyBbXIazuNZLpNugHu2EyrTGXIvC2yFlGvEa0KF75JJBglSEKyZHzMsi664g/gAQblKDN"
    "YE6kKZaqiIbeAHx83SQf/iRM/KNXfSHZ9iSPC0Ij8U73B4XxNflQB67aFbn/9rOaw3hfn2"
    "y5VSi247tij6/ekpo/S3WcsbZW/e5UHGstY5BZT5BDkyBY5PAD0cnZTygg25zeNAAua+x2"
    "bg4O724sUYPKCAifDgKPB3iigDAWSzclBxJ0/QBhH7EacmJzE5d32ysKo5sWixSgsgjK0K"
    "X2wiUGdj7e/5rENW2Ei6Ase6F1nNxs1kDD2wGj0gztZWzHgmYJxcy51c8fm9ppMr9qzsGb"
    "RNnVzZjuqTk+sbCnyiLRwb36lVWbilR+SwxolR6eKCSFBmGnmAPwIcfL2+uQW/QvxrPGei"
    "SUDPkQFU2sKxm5hxubut2zYpxpm3TWde2/wGk9rQwtXEMHPboZsIDBDeTnyl/IlMm6NcnR"
    "mliAwC5W2nRbVtR7K7RiS7Ab2TqF8PEtHg7BFZ1A+J3TL+oiw7iJ3f9fGdKDT3i3bmUklu"
    "JaupZ9TgpjOljI+6Guph+ahNfK2Jr+0R9dDP+NpvgtYMUWUz19z9cR0NQaKRVtvertABeJ"
    "6Y7L9QEM+T8AbUefg1vlTRwLXtBLsmGir7sW6NvTD+mW35Z8x7Z7Pam6kxuVMPDnRaFyZR"
    "RIzx1yRM3LE8xJ588tASZUVqeNm1nZB4sVagsQORjefQ1UOtSBVtwEjsMBbfw81d50W/vL"
    "j6fP7p4NXZ+KxQ50WN1i/42e1g3hLeRGRtbHu2n5tBe9oY2inyLYajWLqmp4QqM7wz4qzB"
    "CXFWeT6clSn+MIkwb4qvIjI8eI+bHMDVx6+pbrARz0qPeLcEk3WSQ7qkNm44ykE1s6HeHt"
    "cRG1QObMVrnINodvCE7me+/wCk8BhgjyIiC8OiiU+Q6I2AqYiScDG/eIA9Ga1J+QflZwH0"
    "KJQVZV68BaLJgpwDYIeLlHiQrh/43UtkfM9GYOY/8ZsE+BOGvDHwSXqFb2U7JIQLuotx8q"
    "E4pFikD/DHd9EouPpA1hp8+587uUFt2ERoNLHyjpvoFnxUtZ13XNYvotdYOyJDETI0xt4E"
    "ovZNr9swKUeQjfj5voouVxAdoDI3YKeq5zPMv8cq614QNf1TjQ6v1+HVtDadEl9Ie6vR4p"
    "WRTbV4L5dr9QtN9NmoEijXdkUIszrxGEAqNWqXb1TKkvGRIh3Nfs91aD5iromi7vRx373v"
    "3i0fKqq2cD2cIncCKIMLyjV68E9RLulQ3PonOBB6/AK4eM6NBXF4CbX9xTs+C7ccRKM3Ko"
    "SeuN4uzQlb2A6ih8W6mv3Os0P64K7sLN46NmKTraRFuq53vE56IxzXMM2qEvDqz3Y18DUz"
    "mAVotACQhZpcvzrAE4ktlraSxVG2VNzqpAmXe1JN5p6U2dyI87FEKyrfsZCn2eFLWF3tDE"
    "Yx7JtimFt1Ec/nch2+dt1rm2lUTWHaarRoqyEOLKS1wuq4JFXKpDSvxiSZas3VC7KfxIfm"
    "4EsrkaxsEC9J0k7KvDSMk14xRXunil4nCdprUQuyEJGGUkgKFFVTCWkVJFNceDD2sSku3K"
    "0VhuYQu20ATgWM97ZR8WZI6ZPPz8QZpJqCQDVVnIuCA4xc6iR41K9Ksb/0wnnpTZ73evnb"
    "zrYfPWL0FL3XWuA98p/4R3kL5H++e9CZY+8tkP/57kUzvgXKzDsPnjZczxZAxtQKXMgmPp"
    "lbci+0NPm18sbeb2HvY/7jY0J5fEBe6wNfKzw0Jnnz3bhi2NCPAHNDcgWDXzuB4Tf7Y+aX"
    "+c1oydoXYijJmaih8iEmvNIaDaq6oEsq0I/ujuKxg+nuaKLxq/f9fvKYTQK4dh5yseulNQ"
    "U594rvrao+YlodbLpQfUsu/RwRbM9GGjY9vjOuLWCajTGE+j6dfeMaQn2FPtHr9ofu209x"
    "CyyktvBSXUO5YKDovjpq0k+Oj6omuo5KOdaVVT7r2tBXVfk0hSeXGSQ7jTn/+f8QlROt"
)
