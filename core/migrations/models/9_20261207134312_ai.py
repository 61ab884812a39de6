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
    "eJztXW1z27i1/isYfVlnRvE6tuP4Jp3OKI7Tuk3iNLHv7W23w4FJSMI1RbIAaMezN/+9AP"
    "gGkiBFSqJE0ZjZ2VgkDiA9AMFznvOC30cL30EuPZzYDD9g9nTpMfI0egt+H3lwgfgf+gZj"
    "MIJBkN0WFxi8c6UEjJtarj+TLe8oI/wivzeFLkX8koOoTXDAsO8JiWsPgUXIIMPeDBD07x"
    "BRBvwpgB7wyQx6mELRFBywOQJJ94B3/w546AERgBzMkAPYnPjhbA5Es8nXqxeHYnjHt/n4"
    "vOfORwo9zDu0mD9D/Drh4/3zX/wy9hz0A1Hx8ffRFCPXkX+P+IAWdiRCbCQaoh8BQZTy8W"
    "kiG8+CF7qugPgpkAiPZGMOqvzwcwyq+rUlwuuPIBoG95YcJLc6onHkdSuRfY9nVx77KNsK"
    "/O8s23fDhZe1D57Y3PdSAewxcXWGPEQgR5dfYyQU60R8q3hZJUsnAjlrEqGryDhoCkOXZb"
    "+Jf4Hs2siyvlzfWN8vbyxrVFqJiYSyZOJLNoeMw8G/KpUAzMRXePlfx8cnJ2+Oj07Ozl+f"
    "vnnz+vzonLeV37d8683P6MtkaEVdScyu/nT15UZ8IZ8/KtFzJC78lDKQQSub4Az9kCJi6a"
    "agEn9FYvkkJJArsxBjnE5C0iSbhewR3940HL86fXN6fnJ2mqKfXqkDPQG4AChaQOyWMb2Y"
    "Q1IDaipVwJV/3T3EdQF/WC7yZmwuwHz9ugbF/558u/jz5NsBb/Uiv4C/xLeOo3t5qLO9qS"
    "nMmcRKEJc2kF5hfHbaAOKz00qExa08wHyj90NiowimFjiXBAcI98lxA7hPjivhFrcq4Nbt"
    "xw3A1m7KA9g8Nr+wcdAG4Ki1wXU5rvI1BjkmrPXLL5UaHs6vXzXZKnirSqTlvTzUDmJcW6"
    "BlnP/y/fqLHmdFpACyg20G/h+4mO6hBleDrcBC9Lyg9N+uCunB58nfi2hffLp+L7HxKZsR"
    "2Yvs4H1R7dAs7g8cLYYXqELt0C1sJxY5TP7YxzciQdC59tyneFXUTMXN1efL7zeTz19z8/"
    "FhcnMp7hzLq0+FqwdnhTlKOwH/c3XzZyA+gn9cf7ksTlva7uYfwrYdwZD5luc/WtBRzLzk"
    "aoJabpYzE7ihXZQJrGQW9W5qN2AXCZt/eq+1OzlaZWw/+gThmfdX9CQhvuJfCHq2ToGMKa"
    "XrqJc9g/ZnsnSSq9mSJPAxpUiUFcV/Of+9iEUv0sn3i8mHy4hSuYP2/SMkjpXDWdzxj/3C"
    "lbRt+dbieFG8Aj3+SnbiHyG+ckLjOd+ZAHumJ/myu+Nahs+xaNQQI9qM4pt4gPf3CwXQAR"
    "y7KZ6FJKLapj4BvodAQPwpdhGgaLbg2gQ48B8QIZj3Iwg6QbTROQ4C5IB4TqmG3+tuGA25"
    "908JEb8X9zX6V4Hua0WbPRfObE2yppoNS2ahhfKqiBgjt4GRS5XtoaniqsqspbmuBPboD9"
    "PQk8QRuAuxy7BHD8WwfxwNRKGNdjmLb2JUy6dVbitlwe2pPq96vcUoJnEg9HvHam815CWN"
    "9dAX6yHBSDEf4m+v2IhB0M56yASM9bDceoiVpjWth0nUy55B29R6yFZUr6wHzOcFz+ZspD"
    "Me0pv1tgO2cNSureXg8mmmDCTS4AB6/gK63AQZAwdi9wnQcLGA5GkMHhG6558JCnzCXoy5"
    "KbAIQuG3j9pJU4Dr9/yHOjU2RIcDLg8VMLbDNm0HB2p0WvGGryBjoVadVV/r+7s56RAUr+"
    "WCbhTAJ9eHmsVYbQooItu3BAZEYie7ywp6aUHUKKZGMW0xtXv/DiippW0UqSUq7LWHbnz+"
    "v24V2J1OQSfq65oq6S2FcmFoFNLo1jJ1NExbLdVFb/x75FFAA8EcB4jkgkbH4Pbmgit8T4"
    "BreUCOBQ4CHCAXe4geQnxoc92RC9p+yPEEIp70CdjQdTVEdqcjabns2KkTqzay0/UIbRMH"
    "Ku5tIw7UaK+ttddofZdAq3YVpAIDdBS8Oj5v4CngrSpdBfJeMSBORtdrglwqdwVVZHtM2l"
    "GP9ZVc3JvHNXe+aYsXQ8vdtiA5GGy3su8qcQ8hW3UKSqJmDlacAxPas/auYkJ7hhja4yLC"
    "HwGC8pp5+e641h4S7aw5psyP8/waZe9NsUBWZtIBErroLYCMGyYiuU7E3HD7RVyV5sojn1"
    "3/ERxEs/5iDDyfYf4bHd7URvqUvc12rzV/RAfiZiRv8RVOmPIZeY6xhvr0Rqi2hooz2NQs"
    "Kso9a/tIWfbtIYylnjWAD9ANNWlXH10fVuwCqUQBt6kQGRhe17fvP12Cr98uL66+X8Uekp"
    "RplzfFJX4BR+/Wb5eTT0X/E0EP2A+p1R7psuiKkO9PMsUmEF8gmlCleahv0I8KpBWRQfAm"
    "dc6ky7/f1Hv6Urw/XX/5U9K86P4rePrm0PPaEVWKyCAgL1BVZ02YqqKPTiGqzoo8VaIfru"
    "BMLYhuwJm6PxtKz32n5ZwgyBhaBK34SFVkMHzNxvhIRIhP2rwMUoEhZIlu+00wFbb7CnuU"
    "KmeiPfqyYzVJYtx5tMeup3bD+5VgeNoBqkgYRJdzxwmFtm5kt6Agv8V97RnCTSlkZWXpOe"
    "TCRrAJWE3A/G44ebmUqyj5ZJ0vY+TFgmkaMC8yXx0sc97kfyjJbI3C2heIQ27TMUCC/hBL"
    "Adw9AQioPUeOoNHVUCIxuDbRtqNBTGB8vwLj5b8lWKvZh6T9AKmHTsqgRc9JG4QziQFivH"
    "l6J92mWnFoqpCBuQHMbM4Nn7nvavbgGiI+J2XcHk1IeJHAAQmyIldbu0VdlNzeyk5iTrtf"
    "2k0iGavjGEtRjPtCwHOA6fzO5xrrdmDuYKOOYLOiugRlwKvTysqSps5EPf+4Qs4Zppash6"
    "3RBt/7vougV6Foq3KFebnjgl1NSKKEbxf699fXn3LQv78qcru3n99f8kfjRX6nL9NVLqTM"
    "Sq2nFZhfbQfGR9VnH5WcsvbxDHkxE8vQRI0iaMXHKi9pXCp9ecCauFRMPZ+hzbpmW+1f2v"
    "Sup9bU89lf90SGsxKUX9C/Y8GPf/2GXFhBW2nzAAaC9s9OfTjSM1P23kTrtcZvEwTNHDbV"
    "P78uTzvgP45/YUt+LVN41PhIekEsd+IjyS31FjgX5QzezfCmzr11jzQvmppCupnIZlDe7Y"
    "aRx7jJSRvH1SdtHJdO2pjaC4ubkQ7yGIa6YyCqYyg1oiaacoVoSg5jQPz/QzZreWBPWXII"
    "+G9hVzGMSzX6+2l7G8blOc56E8bFFGnolHExRRq6LNKgMFvFc07W4F1yR6sMBPM8y1qsHG"
    "FIqmVgpUG9a0I1sGD5vNoY8gW1sOKTWtZE60J29j079WWIiKWRQGuC9UGNKBokUOgB2+s+"
    "gB9kJ0OFCP0IEMEbePIu046GCtXUhbM1QfrI7dyQoI+8p6GiBLEVHZKwJlTfZCdDQqmVDy"
    "sHKM7O3dADmlSmbqBOqId47BeFVQtsC3/fhe+JM7FgPH7J8Ze7P15SW9pWGjdP35pDBh4x"
    "m0f5VJRiYcqxdwBBew7ukOt7MwqYL7OuxPnLIvVKZmApNaK1KVsb63h5mtbvowzv6JDoyB"
    "pTaB0hwV8wBFEq4Yk7ifGOZzlZoCPZmGMnP/w0Hs5tejgZZrrU3mqWPBUwPjfDjj9PntSw"
    "489x1g07voNTOjPtoiGgioRB1PgbtuFvKC7YDQB6G3czUESVh3R1F05cgHJd3lgx4z5nJS"
    "0HAnyn4bM66JZY1QrCtca1OrfNypTHPdOXk69XIBaPqoqrhvpbQPy4mji/zMRBSneub9/T"
    "MbeZARWfuY0sTGj5vfQly7sbqqXtrQ4XP078/1uzvU3dc3FvG3XPxUpqY6Mn7QdoondSRo"
    "TFzovGaemZiDntdI3M86rjdiq3lQEesrMxW8nwTNVQ7yfj0IRn0ugADZ8ljaSxmJdbzHbB"
    "SbSmpVf0Oe0Z2E0tPs1i61M1x3z0kM6IKYYXVZsvmrCm5SaMiPOiwOcYgSh2BUDGkb8LGb"
    "8sbIiTo5fyVFhRcAWzp3fc8FjccUSBCMqLSjBKV58NXTvMjN6c8dLFIL95B/kfbMUyY/BI"
    "MONqkpCa895fJp+//+0TwB7IqkRGHSSAmWqRffQTmkzIbr2E6jcrwVydNFYQG0LC0rYTxl"
    "x/1q5MZyqwxRpwky8fRltZ3CcNlvZJ5cI+KRvXru4kibpShu5wTpLIQ1u3ASfQvqmE9k3p"
    "FGZ9iHk1a5EK9KOGnhjP1NAzNfTygDetoRcpsBzJUEfdVap7RTFDI2mLEyYK/urVCUs9mP"
    "KE/Ylb0dBIhjx8huShCVIb2qw3CVIzRfM6JYhN0bx9PdMnS4vUMMC5nMlq9jefotkkJ0SM"
    "40jrSwSRPGJnhpg4XUcSrf4iCOMTdkSoSNp7xp6qx+1ERGr2FbSn+3Q+nqFuDXXbmx1pC9"
    "Rt/Ai1oWIUEUPGbJyMMcbM0NRaY8w8x1k3xowxZowxs6oxE1Uv0VkyaV2TGjMmK6Cy6SrX"
    "8ZKCnkN87Ajk1qpxbaLQxb1tRKErM9bCmshLDdCmeHXc5GA63qo6Jv24dDjdHeG4tYE5FR"
    "ie37yb01nFntcG4FTAANwI4OS5F2GfLc9o1Yga0JuBzlWRVQDPixmwG4Et6oXLhJQy1PVV"
    "3lOhIQC97XA9GbqhK0NaF1OWigwB8cLSbrKwq5d1cVFjYcy5boRQC4yLcsMDevOZhzINnm"
    "Y5BU2xLsptMQ7VQ49dscRdo03jhOjWMWNlQRM1Vowag471CJk910WkVlNxOSEDahHUICT2"
    "HNJWmOZkDKRVkFoEPSBPdxjvB2TjBXTr0VXFi/6CSP4w7mffAK9B88PlxdXnyaeDV+fjs0"
    "J8brIhnx6VLBJnRajzgs8R5PPGIKdvqJOjNq6QopjZLqpfay2hLQsacCtfby2xLckZaIvQ"
    "EmSLVNwaBaImTUgja4JU6nmMFYJUpphQxq045K0QsVASNkELfQlaaBKqIjNkVpz6oqyZ+X"
    "2aeROa9hxn3YSmDW3WTWiaCU3bvdNtT0PTLh8qqixFN8Z1gWmCEmpaVEkUa5Xt36m1iC6u"
    "v/6vqD90F7r3Y0B94PlgGi0bcI+eKDjg2lVUmBXPiCxypMmj2XDfVZFy8ezJkXShcrl6sF"
    "l7RVkQAquWgxW7mdJ/nDy/0SFMrF8/Y/3Mu2vtd5emXEXbRZ0TGxKwW1neymGHcv9sG9OQ"
    "lxpg6OrZaQMn+9lppZNd3NIBLbaVNpRjXqofZKMYdjBko6EdVpmKnhucZZ5BUPf4YaV5Lo"
    "iaie71RKf2QGmWb2+vPtRtslpVIgyxcygkhzWtUbHCaJ7UGZC/VMMt7Mgazs5P1pnEudOV"
    "a+zi/HHODQpPeGDy63uQyb0FDoFTBl7+EZDQ8zjm4A/87wCGFDniqigOIRgER1NVYs3OTM"
    "kIUzKiNzuKqfbbj+27k/SBB0gw1J55X22eqDL9ME4GFQnBIOHbvrVA/Gu1KsRcEhzg9rN5"
    "E50yyELN+q/GOZPYYqaB1B+6WuKd5xrwpbmavZ2XNEVTe22FcQhXmWNVzsxwn2fY8GbVW+"
    "h+Bm6YcJ3nOOsmXMeE6+z+ldhhuI6ilPzgz0VI1j0XO+MdL+MOB4R7p8dia5Cr5XVVfJvw"
    "u1ZuhptUGI6iCH6hQKYNgERenD8NPYW0BQe+hwDxH0GQHhE3ltFKMQMCMAOPkAJIKX9qka"
    "OtL9zxaNpIKZRjybOoCVNZrEfhGNV0s4mO2Wl0TPy8taGEFBFDujWJixG74GpkQU7SmBR9"
    "MSmaGJLKS7uVZVGSG9Lm1pWBkdcB1rQz8m73PQO6qblRWmZ9ShL4iCDjauNHF850+rN6u1"
    "ZxnkYNrSlv2VhjFo3fAfQA3RDGx2Fkp17Ing6Tm2NAEXngbabEX0j1FXsvA+LbiFJgQ5tf"
    "8KcABljKyQs6rXkLI9ZV4xUtrXv0tJ7G/FzU5c7iLtJpaKGKqTJGF2ugi5ngFhPcsntXWB"
    "fBLXIraJvlkBMa4BrfvHcfUwt54rfr+Iolp/0qgls87je9srfn/RLfdf2QWYHdpnRjQWp7"
    "ZtSro30pFWQC4noXEBeXdm01JaqMmZKNT0l00mFSdJeby60mRy9tpmnz0yQrfeN2Bc9yQm"
    "ZSNj4pC+xZKx5MoBEdgl3QtYVrwtaqoR+ut8GErQ1t1k3Y2s69SiZsbV+rTF0TreNIXB7X"
    "OYx80tBPVI2jSWftl1vFMP7dMv6BC1up9Un7LaaTTQlCXRlUXfPNMMBtnYKKyGZA3u3+kA"
    "P49KgBwOKQhAqAy+cnxIGEFQcDNQhBHN7JQFsOQTQWa/WE7KftUmWxtqi6ouyANsMPmGm2"
    "wDY5DZO4l8vkNMA9WwmV6Qy5lwW2Qso14jWhwrdJJ4MEKQjWzI8ZlkVXXEG8gaBcJQZrAn"
    "WhdDVUxDbwwHGzdNBPnDizcs2VdMu7GBI8HZMf0XLSMyDpUqulQbIXyfKYWVm6mwLKfIIc"
    "mdHFO4Aejh58ecGGXIV3IAEL32NzcHB7c/FiDO5RwES0axTHOkOUgQCyeTlGtpMRtDGxfk"
    "QRyU5MClmfDIZqiieaLK3tUOFaTATqTIb93W50yAqVX1evV7cv1yzcTMZYu6tZu2JvbUX0"
    "ZgLGZ7PcZxPv32v6bGJHwZ5B29Rnk62oPvlsvqHAJ9o6qPGdWpWFGy5ENmuc55NOLogEZe"
    "KMB/gQ4ODr9fcb8CvEv8Z9JpoE9BwZD6Stg7qJHpd7j7o99cP4prbpm2obrm8i9Vt4Thhm"
    "bjt0E4EBwtuJ64+PyLQpt9WJPorIIFDedpZP29M1dneuxm5A7ySI1YNEnNf1gCzqh8RuGU"
    "5Qlh3Eyu96+04UmrunduZSSW4lq6lvQcMbTvwxLtdqqIflcjXhoiZctEfUQz/DRb8JWjNE"
    "lWeT5u6P62gIErW02h5VCh2AF4nJ/gsFcT8Jb0Cd+1/jSxXnkbbtYNdEQ+XxoltjL4x/Zl"
    "v+GfPe2az2Zkom7tSDA53WdTYUEWP8NYl6diwPsUef3LdEWZEaXrJoJyRerBVo7EBk4wV0"
    "9VArUkUbMBI7jMX3cHHXedEvL64+Tz4dvDofnxfKlqjB5wU/ux0sWsKbiKyNbc/WczNozx"
    "pDO0O+xXAUGtZ0l1BlhrdHnDfYIc4r94fzMsUfJgHTTfFVRIYH73GTDbh6+zXJ+hvxrPSI"
    "d0swWSfXoUtqQwbOaiiNJKC2mspIo3ZNMuyeWYomGXZXyjRaQOy2ATgVGFymZjfJxpBSbt"
    "851hxSTcRvTdZxUXCAqkkn1qFfFUNz6YWLkksjbyP62w6nGT1g9Bi911rgPfIf+Vd5C+Q/"
    "v3nQWWDvLZD//OZFPb4FSs87Z0f25BRXmbi5t4n3mFqBC9nUJwtLrgUN2bqk3mtZ3pR9bV"
    "H2FfOHjwnl8R55rTd8rfBGNv0evWM3Xz0uhg39CDC3f1awS7UdmINu+2adlue8faRVSc5E"
    "WpU3MW726kyu6ojNVKAf1UjFsIOpRmrotup1P9ywN5Nxt/6WZjLu1gp7Wz3jzpTmaAV8p4"
    "UVJohgez7SsOnxnXFthmLWxhDq+7T3jWsI9RXqmq9bz7xvj+IWWEhtZHVdAcRgoOi+OmpS"
    "/5C3qia6jkpBFJVpfHXHJlSl8ZnMsmUGyU4dwz//A48cmiw="
)
