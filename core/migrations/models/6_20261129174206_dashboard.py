from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True


async def upgrade(db: BaseDBAsyncClient) -> str:
    return """
        -- Written only by hand-written SQL (pipelines/profiles.py record_revenue), so no Tortoise model.
        -- Per app, UTC day and breakdown (dimension ad_type, ad_network, country or geo_tier; '' for a
        -- value not given): ad revenue and impressions, so the revenue dashboard never reads revenue_events.
        CREATE TABLE IF NOT EXISTS "app_daily_revenue" (
            "app_id" INT NOT NULL,
            "day" DATE NOT NULL,
            "dimension" VARCHAR(16) NOT NULL,
            "value" VARCHAR(255) NOT NULL,
            "revenue" NUMERIC(18,8) NOT NULL DEFAULT 0,
            "impressions" BIGINT NOT NULL DEFAULT 0,
            PRIMARY KEY ("app_id", "day", "dimension", "value")
        );
        INSERT INTO "app_daily_revenue" ("app_id", "day", "dimension", "value", "revenue", "impressions")
            SELECT r."app_id", (r."created_at" AT TIME ZONE 'UTC')::date, b."dimension", b."value",
                sum(r."revenue"), count(*)
            FROM "revenue_events" r
            CROSS JOIN LATERAL (VALUES ('ad_network', coalesce(r."ad_network", '')), ('ad_type', r."ad_type"),
                                       ('country', coalesce(r."country", '')), ('geo_tier', coalesce(r."geo_tier", '')))
                AS b("dimension", "value")
            GROUP BY 1, 2, 3, 4
            ON CONFLICT DO NOTHING;
        -- The dashboard's device pages: newest device first, optionally by segment or country. Ingest's
        -- counter updates leave these columns alone (the segment only when it moves), so they stay HOT.
        CREATE INDEX IF NOT EXISTS "idx_devices_app_id_id" ON "devices" ("app_id", "id");
        CREATE INDEX IF NOT EXISTS "idx_devices_app_segment_id" ON "devices" ("app_id", "user_segment", "id");
        CREATE INDEX IF NOT EXISTS "idx_devices_app_country_id" ON "devices" ("app_id", "country", "id");
        -- The overview's devices seen in 30 days, without reading every device row of the app. It costs
        -- ingest its HOT updates of a device's row, once per device per flush (a batch is one device's
        -- events, so about one index entry per 50 events).
        CREATE INDEX IF NOT EXISTS "idx_devices_app_last_seen" ON "devices" ("app_id", "last_seen_at");
        -- Devices per app and country, for the countries dashboard, kept by a trigger on the only
        -- changes that move it (a device inserted, its country changed, deleted); ingest's counter
        -- updates do not set country, so they do not fire it.
        CREATE TABLE IF NOT EXISTS "app_countries" (
            "app_id" INT NOT NULL,
            "country" VARCHAR(2) NOT NULL,
            "devices" BIGINT NOT NULL DEFAULT 0,
            PRIMARY KEY ("app_id", "country")
        );
        CREATE OR REPLACE FUNCTION count_device_country() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            -- One statement, rows in key order: concurrent moves lock the rows in the same order.
            INSERT INTO app_countries AS t (app_id, country, devices)
            SELECT x.app_id, x.country, sum(x.n) FROM (
                SELECT OLD.app_id AS app_id, OLD.country AS country, -1 AS n
                    WHERE TG_OP IN ('UPDATE', 'DELETE') AND OLD.country IS NOT NULL
                UNION ALL
                SELECT NEW.app_id, NEW.country, 1 WHERE TG_OP IN ('UPDATE', 'INSERT') AND NEW.country IS NOT NULL
            ) x GROUP BY x.app_id, x.country ORDER BY x.app_id, x.country
            ON CONFLICT (app_id, country) DO UPDATE SET devices = t.devices + EXCLUDED.devices;
            RETURN NULL;
        END $$;
        DROP TRIGGER IF EXISTS "devices_country_insert" ON "devices";
        DROP TRIGGER IF EXISTS "devices_country_update" ON "devices";
        DROP TRIGGER IF EXISTS "devices_country_delete" ON "devices";
        CREATE TRIGGER "devices_country_insert" AFTER INSERT ON "devices"
            FOR EACH ROW WHEN (NEW.country IS NOT NULL) EXECUTE FUNCTION count_device_country();
        CREATE TRIGGER "devices_country_update" AFTER UPDATE OF "country" ON "devices"
            FOR EACH ROW WHEN (OLD.country IS DISTINCT FROM NEW.country) EXECUTE FUNCTION count_device_country();
        CREATE TRIGGER "devices_country_delete" AFTER DELETE ON "devices"
            FOR EACH ROW WHEN (OLD.country IS NOT NULL) EXECUTE FUNCTION count_device_country();
        INSERT INTO "app_countries" ("app_id", "country", "devices")
            SELECT "app_id", "country", count(*) FROM "devices" WHERE "country" IS NOT NULL GROUP BY 1, 2
            ON CONFLICT DO NOTHING;"""


async def downgrade(db: BaseDBAsyncClient) -> str:
    return """
        DROP INDEX IF EXISTS "idx_devices_app_id_id";
        DROP INDEX IF EXISTS "idx_devices_app_segment_id";
        DROP INDEX IF EXISTS "idx_devices_app_country_id";
        DROP INDEX IF EXISTS "idx_devices_app_last_seen";
        DROP TRIGGER IF EXISTS "devices_country_insert" ON "devices";
        DROP TRIGGER IF EXISTS "devices_country_update" ON "devices";
        DROP TRIGGER IF EXISTS "devices_country_delete" ON "devices";
        DROP FUNCTION IF EXISTS count_device_country();
        DROP TABLE IF EXISTS "app_countries";
        DROP TABLE IF EXISTS "app_daily_revenue";"""


MODELS_STATE = (
    "eJztXf1T4zYa/lc0+aV0hqUQWOB2O50JkG1pd2FvYe96/RiPsJVEh2O7kgzL9PZ/P0n+tm"
    "VjJ3HiGP1EkPXIzvMqr98vSX8P5q6FbLo3Mhl+wOxp7DDyNHgD/h44cI74B3WHXTCAnpdc"
    "Fg0M3tkSAcOuhu1OZc87yghv5Ncm0KaIN1mImgR7DLuOQFw7CMx9Bhl2poCgv3xEGXAnAD"
    "rAJVPoYApFV7DDZghEwwM+/FvgoAdEALIwQxZgM+L60xkQ3UYfL7/dE7e3XJPfn4/c+p18"
    "B/MBDeZOEW8n/H6//8mbsWOhL4iKf/8eTDCyLfl5wG9oYEsyxAaiI/riEUQpvz+NsKEUHN"
    "+2BcVPnmR4IDtzUuU/X3dB2bimZHj5O4iO3r0hb5KZHcF9ZLsRYc/w9NJh72Rfwf+dYbq2"
    "P3eS/t4Tm7lODMAOE61T5CACObu8jRFfzBPxVOG0iqZOQHLSJWA3hbHQBPo2S74Tf4CkbW"
    "AYV9e3xs341jAGhZkYIVJTJmwyOWWcDv6oVBIwFY/w6h/D4eHhyXD/8Pj09dHJyevT/VPe"
    "Vz5v8dLJ1+BhEraCoSRnlz9eXt2KB3L5TyX4HYmGrxIDGTQSASfs+xQRQyWCUv5TiOeFEF"
    "GekkLIcSyEqEsiheQnvj4xDA+OTo5OD4+PYvbjlirSI4JzhKI5xHaR0/MZJBWkxqgcr/xx"
    "t5DXOfxi2MiZspkg8/XrChb/Nfp0/tPo0w7v9W12Al+Fl4bBtSzViW6qS3OCWIjiggLpFM"
    "fHRzUoPj4qZVhcyhLMFb3rExMFNDXguQDsId2Hwxp0Hw5L6RaXSuhW6eMaZCuVcg+Ux+on"
    "NvaaEBz01rw+z6t8jUHOCWv88otR/eP59UEdVcF7lTItr2WpthDj1gIt8vzzzfWVmucUJE"
    "eyhU0G/gdsTLfQgqvgVnAhRp5T+pedpnTnw+jXPNvn76/PJDcuZVMiR5EDnOXNDsXkvuBs"
    "MTxHJWaHamJbIWQv+rCNb0SCoHXt2E/hrKgQxe3lh/HN7ejDx4w8Lka3Y3FlKFufcq07xz"
    "kZxYOAf1/e/gTEv+C366txXmxxv9vfhG87gD5zDcd9NKCVcvOi1oi1jJQTF7imX5QAFnKL"
    "OifaFfhFwuef3Cv9Ts5Wkdt3LkF46vyCniTFl/yBoGOqDMgwpHQdjLJl1H6Npk7UmkxJAh"
    "/jEElqRvFvzr8vYsGLdHRzProYByGVO2jeP0JiGRmexRV36OZa4r7FS/PhPN8CHf5KtsIv"
    "IR45CuNZN0yQPVUH+ZKru5URPsugQUeMaL0Q38gBfLxvKIAW4NxN8NQnQaht4hLgOgh4xJ"
    "1gGwGKpnNuTYAd9wERgvk4IkAnAm10hj0PWSCUKVXE99q7jSK497ukiF8Lxxr8mQv3NQqb"
    "vZSY2ZLBmvJoWCSFBsZrCqKd3BpOLk2ph7qGaxqzlOW6ENmD7ye+IwNH4M7HNsMO3RO3/W"
    "HQE4M20HIGV2JUGU8rVStF4PpMn4NOq5iUS+wJ+94ymnsNWaT2HrriPUQcpdyH8OlTPqLn"
    "NfMeEoD2Hp73HkKjaUnvYRSMsmXU1vUekhnVKe9BegRFtyEQRYW/4Hn13IRyHpXmd+iHev"
    "zL8Qc25GNpG3yTNrj828AAj/r30PpuJWuameoNeM7jNN/1+KbWvXGPFP5OhU+ZQFbD8mYV"
    "RpbjOkmnYXnSaVhIOk3MuWESZHEvHENVRuQWfSnRyQpoH9JPVYb0+NfbagcytqPfX1/9GH"
    "XPe5VFCXjE/S8yWcPcdRHZB/7XoFX4rF3QrcwitVvZFbeyTlJKBxP6JvU6wQSditSpyHYt"
    "hRZTkamgTT7ll6v5DuHvfvmEbFhSp6nMMvaE8+z73afMnRthdmlJus7lYDdJpqqPjFnoAZ"
    "vLTqwLOUhfKUJfPETwCibUOB6or1RNbDhdkqR33M72CXrHR+oTS21Gh7OKShEnLmiy8oix"
    "QoM+X2PyybdFFYdYphXoEwAZ5+nOZ7wZOhY43H9lwad4XddbMEfzO0Qo4DcjyAJ3TwBBcw"
    "ZMaJt+MkMyFSZt3OQPZyf7hY0QswseCWYMOQI146O/iv6/+ed7gB3gYQ/Z2EF0LxggIqzu"
    "gjQdHdfR8f7EVdJPVqC5PJCYg/UhiLXuIKLtTrHZZGrHgPXN7cHo6mKwlsl9WKfuqrzsqh"
    "AudG2XNCE3BvRhKmeprVLAEbUnpdSeFFZtibd5kdryarYY0I1SNnG/3pSyYWpIq0nxjjxz"
    "XRtBp8T8SONycrnjwLYEEpkm66X+7Pr6fYb6s8u8gv784Wz8aedAyoF3wkG8p1jeFhiwnE"
    "lfVTZbau7lYeuLU+532vBLvQ4hZUZk4C8U8lePsILQf8e0+/ZG+osJHp3WK/+BbWeCR6f1"
    "XqLUdY3wxtN6ukZ4W2uEwySMIvybpGfK476pPNCqi4XDKQUdi7jYEswtVSqsd7kS19axy1"
    "VKYgUpVOwWlEH1MIJ6MDytEQvhvUqjIfJa1nG5I5y3JjTHgP6FmloJUUud14TgGKAJrrev"
    "WPi7L10Q+bzKKF8SqUkvIZ2bIosQnoVpsmuRLcqumXuPGuW4MqA+EL3uDJeMdpJGK0FSkD"
    "4wnpvadSZ2+bQubOomnDnbDhhqwHEe1z+iD47rmHn5UEjKyjtWbvS2wG4ZedwaU7cOemwr"
    "y9U22zTccLlxmqUI1ImWfKIFWsYjZOZMlcQtD8VlQJrUPKmeT8wZpI04zWA0pWWUGgQ9IM"
    "dXvOIukInn0K5mNw3P5wsC/F44zrYRXsHmxfj88sPo/c7B6e5xLqUdKeSj/YJHYi1IdRb4"
    "Ekk+rU1y/IY63G+SCsnDtLoof601pLYI1OSWvt4aclvAaWrz1BJkiur1CgOiorJOgdVFdt"
    "VxjAWK7CaYUMa9OOQsULFQAOuiha4ULdQpVZFFZQuKPo/Vkt8myevStJcodV2a1jep69I0"
    "XZq2+aTblpamjR9KFiYHF3arCtNESKjuOmRxyKTs/za9fPf8+uN/xJLdO9++3wXUBY4rNq"
    "UX0wbcoycKdrh1JTegn+NpsGl9yQGWKxy7rFIulJ68k6pULnPgZNI/ZSwIwIoOtAzXm6z0"
    "FrrWr5u1fvrdtfS7S7HCq+mkzsD6ROxapndqzxapP5vWNGRRPSxdXf3ZdQFlQq00CTlmUd"
    "0INvbrcAoddngJCx9F6B4/LCTnHFQLutOCjv2BgpQ/f768qFKySlPC97G1J5D9Emuwv0cg"
    "p7QE5DdVxBY25A0n28CpXOLMJnEVfnF2V7paB8GNvjsDCe4NsAicMPDqB0B8x+Gcg+/5Zw"
    "/6FFmi1XTnnoggWMrj3pYaTG+QpTfI6oxG0RtkdUN9t7J84AESDJVbd5a7J2lMN5yTXlVC"
    "MEi42jfmiD9Wo73LCsAeqp/Vu+iUQeYr5n/FSSoxYo0rDaT90NYUb32tAZ+ai/nbWaTeZ6"
    "jTXhincBEZp3Fawl2WsI6blavQ7Szc0OU6L1HqulxHl+ts/pXYYrlO5ngKl/pk2TM8krjj"
    "OBywR7y3evyCgrnKuG6a3zrxXSMj4RqB3vB8hG8okMsGQIQHzAXQSQVtwY7rIEDcR+DFpy"
    "rsymqlMAICMAOPkAJIKf/VIktRF9X63ZSVUigTJU+qJvTOYh0qxygPN+vqmI1Wx4S/tyYh"
    "oRREB93q1MUILbhYsCCD1C5FV1yKOo5k6qXdyLMo4Pqk3NpyMLI2wJJ+Ri/PZsu7G4Vp1q"
    "VFAumD3xT2c+5cuHLDeRJ0NOKz6OpYzKLzW4AeoO0LsYvS/uSELznSXnRxF1BEHnifCXHn"
    "0nzFziuPuCaiFJjQ5A3uBEAPS5xsUFnNa7hj1W68oqdxj56Ws5hfirncWt1FLIYGplgao2"
    "2xGraYLm7RxS2bT4W1UdwiVUHTVQ4ZUA/n+Oqz+5gayBHfXRWveOaArBRwjSdkxS1be0QW"
    "cW3b9ZnhmU22bsyh1udGHexvy1ZBuiCucwVx5efVl4skjdEiWblIcsdCY6uRcNRoLabVi0"
    "nu9I2bbXiWAWmhrFwoc+wYCx5MoID2wS9o28PVZWvl1Pc326DL1vomdV22tvGski5b29Zd"
    "pq6JMnEkmnerEkYuqZknKudRL2ftVlpFR/zbjfh7Nmxk1kf917icbEIQasuhajveDD3cNC"
    "mYgqyG5M3qhwzBR/s1CBaHJJQQXDw/ISwkLDkYqEYJYv9OBlpzCaL2WMsFsp2+S5nH2mDX"
    "lZQGNBl+wEyhApusaRiFo4yj0wC3bCaULmfI+YNLLv3ol7OSDZFQ7issxw73Hz5Ho/STIk"
    "SWnECf+RB9oqdlLzWYTmpXNZ5qlf6qEc/r54sb5R7LFFDmEmTJpTd8AOhgKoUqG0zIbS0L"
    "EjB3HTYDO59vz7/dBffIY6IsMSg4nCLKgAfZrFjM2ModlMWLbuDLy0H0Wp8uWXblvnggLK"
    "WRV5IDigBVtt32qhsVs8I2U22sqtLLFRM3wWi3ZDG3ROjWRhG5BKCD688H10P9vWRwPYzo"
    "bhm1dYPryYzqUnD9U3A0Z+lJDpnrleZLeMin0fRgB2gBPI/OHPiGgnAcsPPx+uYWfEet++"
    "/CppLTG5oO8HxQf0OHMSwzqDaSOmkk6aTuKhJCeoF5R8woaDVelZCC9DAL10KOyDIcxB5d"
    "ct+Q5RSqf6V1rWQ7FzvPfOOHmW/IlV3kPHNkevOG9EaQpbnt2HyuR+1xbWqnyDUYDuKzdb"
    "VEGtM/HXFaQ0OcluqH00Ltrawmb5SsT0H6R++wjgIuV7+6tHkVqqJLiWFFUWvjzHCboQ2Z"
    "vVKENKKsVnkoI06d6dLBLfMUdengpoxpNIfYbkJwDOhdXVs7pZmQUu7fWcYMUkXaraJGMw"
    "/soWnSinfo2iUKY+z480JKI79cfc3KY/CA0WPwXmvA98B95I/yBsg/fzjQmmPnDZB//nCC"
    "Ed+A1Mgbj45syZkXssxta8uUMTU8G7KJS+aGnAuKYOszu2MU8XqTjAabZGD+42PCeLxHTm"
    "OFrwSvROl36B27+rW2IW3oi4e5/7OAX6ocQB8L0jXvtChzy7h7apalK+AWyil1TLCrztVx"
    "t1flcpXv3xADurF3gz44+mWE23q2LkOXvemyN1329kxseIQINmcDRXQ4vLJbFR+GSR8dIN"
    "6m3/JuRYB4gV2Nlt3NqGu/6TVE1ZTbcFQtf/Z6yu7Bfp3Vz7xXeeBmv1AUwO/IlPvmV22a"
    "FkPWb3Zvxk1dmYG90UTn1/8DcrqoLQ=="
)
