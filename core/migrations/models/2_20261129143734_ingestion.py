from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True


async def upgrade(db: BaseDBAsyncClient) -> str:
    return """
        CREATE TABLE IF NOT EXISTS "revenue_events" (
    "id" BIGSERIAL NOT NULL PRIMARY KEY,
    "app_id" INT NOT NULL,
    "device_id" BIGINT NOT NULL,
    "ad_type" VARCHAR(16) NOT NULL,
    "ad_network" VARCHAR(255),
    "revenue" DECIMAL(18,8) NOT NULL,
    "ecpm" DECIMAL(18,6),
    "geo_tier" VARCHAR(8),
    "country" VARCHAR(2),
    "created_at" TIMESTAMPTZ NOT NULL
);
CREATE INDEX IF NOT EXISTS "idx_revenue_eve_app_id_6033e5" ON "revenue_events" ("app_id", "created_at");
CREATE INDEX IF NOT EXISTS "idx_revenue_eve_device__4ba5a5" ON "revenue_events" ("device_id");
COMMENT ON TABLE "revenue_events" IS 'One ad impression''s revenue (POST /sdk/revenue).';
        CREATE TABLE IF NOT EXISTS "ad_strategies" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "segment" VARCHAR(32) NOT NULL,
    "strategy" JSONB NOT NULL,
    "config_version" INT NOT NULL,
    "updated_at" TIMESTAMPTZ NOT NULL,
    "app_id" INT NOT NULL REFERENCES "apps" ("id") ON DELETE CASCADE,
    CONSTRAINT "uid_ad_strategi_app_id_a88691" UNIQUE ("app_id", "segment")
);
COMMENT ON TABLE "ad_strategies" IS 'An app''s ad configuration for one profile segment (overrides of the shipped defaults).';
        ALTER TABLE "devices" ADD "recent_purchases" JSONB NOT NULL DEFAULT '[]'::jsonb;
        ALTER TABLE "devices" ADD "sessions_30d" INT NOT NULL DEFAULT 0;
        ALTER TABLE "devices" ADD "purchases_30d" INT NOT NULL DEFAULT 0;
        ALTER TABLE "devices" ADD "ad_watches_30d" INT NOT NULL DEFAULT 0;
        ALTER TABLE "devices" ALTER COLUMN "purchase_revenue" TYPE DECIMAL(18,6) USING "purchase_revenue"::DECIMAL(18,6);
        ALTER TABLE "devices" ALTER COLUMN "ad_revenue" TYPE DECIMAL(18,8) USING "ad_revenue"::DECIMAL(18,8);
        -- Written only by hand-written SQL (pipelines/ingest.py), so no Tortoise models.
        -- Per device and UTC day: what it did (distinct active devices per day, 30-day counters).
        CREATE TABLE IF NOT EXISTS "device_days" (
            "device_id" BIGINT NOT NULL,
            "day" DATE NOT NULL,
            "app_id" INT NOT NULL,
            "events" INT NOT NULL DEFAULT 0,
            "sessions" INT NOT NULL DEFAULT 0,
            "ad_watches" INT NOT NULL DEFAULT 0,
            "purchases" INT NOT NULL DEFAULT 0,
            PRIMARY KEY ("device_id", "day")
        );
        CREATE INDEX IF NOT EXISTS "idx_device_days_app_day" ON "device_days" ("app_id", "day");
        -- Per app and UTC day: the dashboard rollups.
        CREATE TABLE IF NOT EXISTS "app_daily" (
            "app_id" INT NOT NULL,
            "day" DATE NOT NULL,
            "active_devices" INT NOT NULL DEFAULT 0,
            "new_devices" INT NOT NULL DEFAULT 0,
            "events" BIGINT NOT NULL DEFAULT 0,
            "sessions" BIGINT NOT NULL DEFAULT 0,
            "ad_watches" BIGINT NOT NULL DEFAULT 0,
            "purchases" BIGINT NOT NULL DEFAULT 0,
            "purchase_revenue" NUMERIC(18,6) NOT NULL DEFAULT 0,
            "ad_revenue" NUMERIC(18,8) NOT NULL DEFAULT 0,
            "ad_impressions" BIGINT NOT NULL DEFAULT 0,
            PRIMARY KEY ("app_id", "day")
        );
        CREATE TABLE IF NOT EXISTS "app_daily_events" (
            "app_id" INT NOT NULL,
            "day" DATE NOT NULL,
            "event_type" VARCHAR(64) NOT NULL,
            "count" BIGINT NOT NULL DEFAULT 0,
            PRIMARY KEY ("app_id", "day", "event_type")
        );
        -- The built-in segment of a device (API.md section 1; thresholds in the README).
        CREATE OR REPLACE FUNCTION device_segment(
            last_seen TIMESTAMPTZ, first_seen TIMESTAMPTZ, sessions_30d BIGINT, ad_watches_30d BIGINT,
            purchases_30d BIGINT, at TIMESTAMPTZ
        ) RETURNS VARCHAR LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
            SELECT CASE
                WHEN at - last_seen > INTERVAL '30 days' THEN 'churned'
                WHEN at - last_seen >= INTERVAL '15 days' THEN 'dormant'
                WHEN sessions_30d >= 20 OR ad_watches_30d >= 50 OR purchases_30d > 0 THEN 'power_user'
                WHEN at - first_seen < INTERVAL '7 days' THEN 'new'
                WHEN at - last_seen <= INTERVAL '7 days' THEN 'active'
                ELSE 'casual'
            END
        $$;
        -- Devices registered before this version count as new on their first day.
        INSERT INTO "app_daily" ("app_id", "day", "new_devices")
            SELECT "app_id", ("first_seen_at" AT TIME ZONE 'UTC')::date, count(*) FROM "devices" GROUP BY 1, 2
            ON CONFLICT ("app_id", "day") DO UPDATE SET "new_devices" = EXCLUDED."new_devices";"""


async def downgrade(db: BaseDBAsyncClient) -> str:
    return """
        ALTER TABLE "devices" DROP COLUMN "recent_purchases";
        ALTER TABLE "devices" DROP COLUMN "sessions_30d";
        ALTER TABLE "devices" DROP COLUMN "purchases_30d";
        ALTER TABLE "devices" DROP COLUMN "ad_watches_30d";
        ALTER TABLE "devices" ALTER COLUMN "purchase_revenue" TYPE DECIMAL(14,6) USING "purchase_revenue"::DECIMAL(14,6);
        ALTER TABLE "devices" ALTER COLUMN "ad_revenue" TYPE DECIMAL(14,6) USING "ad_revenue"::DECIMAL(14,6);
        DROP TABLE IF EXISTS "ad_strategies";
        DROP TABLE IF EXISTS "revenue_events";
        DROP TABLE IF EXISTS "device_days";
        DROP TABLE IF EXISTS "app_daily";
        DROP TABLE IF EXISTS "app_daily_events";
        DROP FUNCTION IF EXISTS device_segment;"""


MODELS_STATE = (
    "eJztXftT4zgS/ldU+WWZKo6FwAA3e3VVATK72R3I1BDu9vZRLmEriS5+rSzzqDn+95Pkty"
    "0bOy8cj34CZLVsvpal/rpb7a89yzGQ6R0MdIofMH0e2pQ89z6Arz0bWoj9Iu+wD3rQdZPL"
    "vIHCe1NIwLCrZjoz0fPeo4Q1smtTaHqINRnI0wl2KXZsLjG2EbB8Cim2Z4Cgv3zkUeBMAb"
    "SBQ2bQxh7kXcEenSMQDQ/Y8D8AGz0gApCBKTIAnRPHn80B7zb4PHp3wG9vODq7Pxt543fy"
    "bcwG1KgzQ6ydsPv9/idrxraBnpDH//zam2JkGuL3Hruhhg2BEO3xjujJJcjz2P29SDbUgu"
    "2bJof42RUI90RnBqr442UflI2rC4RXvwPv6C40cZPM7AjuI9q1SPYCz0Y2/Sj6cvzvNd0x"
    "fctO+rvPdO7YsQC2KW+dIRsRyNBlbZT4fJ7wpwqnVTR1ApCTLgG6KRkDTaFv0uR/Yg+QtP"
    "U07WY80W6HE03rFWZiJJGaMmGTziBjcLBH9QQAM/4If/t7v398fNY/PD49f39ydvb+/PCc"
    "9RXPW7x09hI8TIJWMJTAbPTj6GbCH8hhr0rwHvGGFyEDKdQSBSfo+x4imkwFpfinJF5XQg"
    "R5SgshxrESoi6JFpJXfHtq6B+dnJ2cH5+exOjHLVWgRwDnAEUWxGYR08s5JBWgxlI5XNnj"
    "7iCuFnzSTGTP6JyD+f59BYr/Gny5/GnwZY/1epedwDfhpX5wLQt1sjbVhTmRWAriwgLSKo"
    "xPT2pAfHpSijC/lAWYLfSOT3QUwNQA54JgB+E+7teA+7hfCje/VAK3bD2uAbZ0Ue7A4rH+"
    "iY3dJgAHvRWur+MqtjHIMKGNN79Yqns4vz+qs1SwXqVIi2tZqA1EmbXgFXH++XZ8I8c5JZ"
    "ID2cA6Bf8DJvZ20IKrwJZjwUe2PO8vMw3p3vXg1zzal5/GFwIbx6MzIkYRA1zkzQ7J5L5i"
    "aFFsoRKzQzaxjVDkIPplF3dEgqAxts3ncFZUqGIyuh7eTgbXnzP6uBpMhvxKX7Q+51r3Tn"
    "M6igcB/x5NfgL8T/Db+GaYV1vcb/Ib57Y96FNHs51HDRopmhe1RqhltJxQ4Jq8KBFYiha1"
    "TrVr4EWc808XUt7J0Cpi+9EhCM/sX9CzgHjEHgjausyADF1K42CUHYP2JZo6UWsyJQl8jF"
    "0kqRnF/nP2/yIabKSD28vB1TBwqdxDffEIiaFlcOZXnL6Ta4n7Fi9ZfSvfAm22JRvhP8Ef"
    "OXLjGbeUgz2TO/mSq/uVHj5D84KOGHn1XHwDG7DxvvMANADDbopnPglcbVOHAMdGwCXOFJ"
    "sIeGhmMWsC7DkPiBDMxuEOOu5o8+bYdZEBQp16Ev/e5m4jce79LiBi18Kxen/m3H2N3Gbf"
    "is9sRWdNuTcs0kID4zUlokhuDZLrpZaHuoZrWmYly3UpsHv/mPq2cByBex+bFNveAb/tP3"
    "sdMWiDVU5ji5gn9aeVLitFwe2ZPketXmJSlNjl9r2hNWcNWUnFHtrCHiKMUvQhfPoUR3Td"
    "ZuwhEVDs4XX2EBpNK7KHQTDKjkFblz0kM6pV7EEwgiJtCFRRwRdctx5NKMdRan6HPNRl/x"
    "x7YE08lrLB39IGFz8bGOBR/w5a3xuJmmamegOc83IK73p4e8ZCWyAJ36nglInIelB+2wUj"
    "i3GdoFO/POjULwSdprql6QQZjIVjKIuITNBTyZosEe1C+KnKkB7+OqkmkLEd/Wl882PUPc"
    "8qixpwifNfpNOGseuiZBfw38KqwmbtkrQyK6loZVtoZZ2glHImdE3rdZwJKhSpQpGbtRQ2"
    "GIpMOW3yIb9cznco/vGXL8iEJXma0ihjRzDPpfc8YH1VmK7EIF2CaJOuqRAtiXcqwbHcQZ"
    "VS2Lp9VKG3E9oGcbDB38O8hypzeCNx/JnQo5qHkK2pwxtdPLyRmhEFLVQkwWekOujGOeqf"
    "1yBcrFcp4RLXsoTrnjDcmsAcCyhGW4vRijW1CcCxgAK43nGZ8L0vjfO/vmSUR/oV6CWgs8"
    "14GcCzYgrsWmBzbyJ1FkgCdbUPOBbqAtDb9v7qjh+d6K47vVMiXUA8N7XrTOzyaV04q8Rd"
    "D6bZ+AxeXq57QB+d1jHz8o67lJV3Kj2/tEQSaF5ue0Z1z0aPvR1F2wupqCaWgwb+zaLg9v"
    "ych5sCe815h9DQHiHV5zIfUnkWWkZIgZoH1fWJPodeI0wzMgrSMkg1gh6Q7Uu2uCukYwua"
    "1eimxfPRrUD+IBxn1wCvQPNqeDm6HnzaOzrfD9ZdZrvhwDMfLcgnhwVGYiwJdVbwWwT5vD"
    "bI8Q51fNgkcJcXU8tF+bbWENqioAK3dHtriG1BTkGbh5YgnXEDrcKAKD/+JJNtxzEofr/O"
    "HIOaYpIKlxX3xsr8moKwSrFpS4pNncSqTKS0oerzskrzu6R5lUj5LWpdJVJ2Tet1EinVqc"
    "zVjVp1KnOlRMp2nsocPiDxxIXMt+DCflXiG3cJ0ZolXHjtZNH/B/BIMKWIcYlncDn+/B+A"
    "Oa0wF/vAc4Dt8ForfNqABXr2wB6zrkRdFQvPglosJXWZ1zh2WSZeqD1xpwapeCljYZVEvF"
    "yd5iDpcL23ULl+7cz1U3vXyntXMcFaCmnVpM6IdQnYrUzvBP5g/Wya05CV6mDq6vpLsgaQ"
    "8WWlicsxK9UOZ2O3ai4pt8My+WvtJpxFPwN33eOHpfScE1WKbrWiYz5Q0PLd3eiqapGVmh"
    "K+j40DLtkttQblAgM9pTUg/lOJb+Ft2DA/yinhwuEJz3Im7JDZBs5/qWJEqhhRG0zTzRQj"
    "MmGjcxFR/y0m2E4JQpuyOjedYQtd3LT2UEqkc7WHTg5rAMyTuUoALuZ5he6AkgTmGo6E7m"
    "Uwb9mRoIhUuUJ2M5JXFr9tYB1mvxHGP8AoeTmb1JvIf7pyx2ZCrZITUYnNFWDqVOgudzKI"
    "cYXV0GH84S4apZsQIbLiBLpjQ3QJng2z1GA6yalqPNUq+aoWz+vXg7ciFuwBjzoEGcBFJP"
    "u9W96gQ2ZrGZAAy7HpHOzdTS7f7YMFcimPxfIoK4ORfy/XhXReDOFu5A5VZX/FIKvV+1UR"
    "0G1FQANlSY08OfyxQJVtt7vLjfSwCrPNZAEg2bpcMXETGUVLlqMlqmbf6o65ilQzVbNvVz"
    "8f9iU4QliacZa5Xmm+hIcRtaYJaNAA2Ipyo77zQDgO2Ps8vp2A7z1j8X3YVJJl1nSA1536"
    "b5Q0ptLEdnSfUWliKk3sm0gTg0bjHLGUSAejcBuIERmajeijQxYNUU5Jda+20EaincvVXX"
    "jzogtvRGWXqbuAdNdqCG8ksjK2LZvP664bMkOORnHgn627SqRlurdG1KkyW15jtlBhVtXR"
    "22gdPRUoXmapaFNguDQRsyV5gyJ6JXFpRFGtcldGHDpTqYM7xhRV6uBbGdPIgrhRvfBYoH"
    "N5bRv6TqTnMX5naHPoScJuVR+KzAl20DTZCDt0zJIFY2j7ViGkkeWIoewW82IfMHoM9rUG"
    "ePecR/YoH4D48YcNDQvbH4D48YcdjPgBpEZ+c+8Iw5v6kuhpxcc7Y4ktKkOkue1smjL2NN"
    "eEdOoQSxNzQeJsddgMh3aJSSKTz6F/zwbYFPxxy3Zt84vx+FPGLL8Y5cu1311fDJkyciS/"
    "6GfF7OWjKKiD33jBlwqvZdFv0R67/pO5IWzoycWM/yzBS6UDrIGetmzr3XV2WtS5od0/N4"
    "vSFeSWiim1TLHrjtUx2iujXOWn3GMBdcA98wKpA+7qXEZxgatTV0+lva2+pKm0tw6mvQ0Q"
    "wfq8J/EOh1f2q/zDMOmjHMS79C7vVziIl/gs3KqfhGvbO72dD/A1QTjs3kF0jw7rnH5mvc"
    "odN4eFpAB2Ryr9Vla50Z0S2b7Z/TY0dW0G9psGOl/+D0pgfJA="
)
