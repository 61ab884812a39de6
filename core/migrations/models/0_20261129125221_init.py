from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True


async def upgrade(db: BaseDBAsyncClient) -> str:
    return """
        CREATE TABLE IF NOT EXISTS "events" (
    "id" BIGSERIAL NOT NULL PRIMARY KEY,
    "app_id" INT NOT NULL,
    "device_id" BIGINT NOT NULL,
    "event_type" VARCHAR(64) NOT NULL,
    "event_data" JSONB NOT NULL,
    "created_at" TIMESTAMPTZ NOT NULL,
    "received_at" TIMESTAMPTZ NOT NULL,
    "event_id" UUID NOT NULL,
    CONSTRAINT "uid_events_app_id_cce5c1" UNIQUE ("app_id", "event_id")
);
CREATE INDEX IF NOT EXISTS "idx_events_app_id_a64887" ON "events" ("app_id", "created_at");
CREATE INDEX IF NOT EXISTS "idx_events_device__f81db3" ON "events" ("device_id", "created_at");
-- Events are written by COPY in bulk: no foreign keys (their per-row checks cost
-- ingest throughput); deleting an app or a device removes its events explicitly.
ALTER TABLE "events" ALTER COLUMN "received_at" SET DEFAULT now(),
    ALTER COLUMN "event_id" SET DEFAULT gen_random_uuid(),
    ALTER COLUMN "event_data" SET DEFAULT '{}'::jsonb;
CREATE TABLE IF NOT EXISTS "orgs" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "name" VARCHAR(255) NOT NULL,
    "plan" VARCHAR(16) NOT NULL,
    "api_key" VARCHAR(40) NOT NULL UNIQUE,
    "created_at" TIMESTAMPTZ NOT NULL
);
CREATE TABLE IF NOT EXISTS "apps" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "name" VARCHAR(255) NOT NULL,
    "package_name" VARCHAR(255) NOT NULL,
    "sdk_key" VARCHAR(24) NOT NULL UNIQUE,
    "created_at" TIMESTAMPTZ NOT NULL,
    "updated_at" TIMESTAMPTZ NOT NULL,
    "org_id" INT NOT NULL REFERENCES "orgs" ("id") ON DELETE CASCADE,
    CONSTRAINT "uid_apps_org_id_b01819" UNIQUE ("org_id", "package_name")
);
CREATE TABLE IF NOT EXISTS "devices" (
    "id" BIGSERIAL NOT NULL PRIMARY KEY,
    "android_id" VARCHAR(128) NOT NULL,
    "brand" VARCHAR(255),
    "model" VARCHAR(255),
    "android_version" VARCHAR(255),
    "app_version" VARCHAR(255),
    "fcm_token" TEXT,
    "country" VARCHAR(2),
    "install_type" VARCHAR(16),
    "user_segment" VARCHAR(16) NOT NULL,
    "sessions_count" INT NOT NULL,
    "ad_watches" INT NOT NULL,
    "purchases" INT NOT NULL,
    "purchase_revenue" DECIMAL(14,6) NOT NULL,
    "ad_revenue" DECIMAL(14,6) NOT NULL,
    "first_seen_at" TIMESTAMPTZ NOT NULL,
    "last_seen_at" TIMESTAMPTZ NOT NULL,
    "created_at" TIMESTAMPTZ NOT NULL,
    "updated_at" TIMESTAMPTZ NOT NULL,
    "app_id" INT NOT NULL REFERENCES "apps" ("id") ON DELETE CASCADE,
    CONSTRAINT "uid_devices_app_id_e091d5" UNIQUE ("app_id", "android_id")
);
CREATE INDEX IF NOT EXISTS "idx_devices_app_id_959b17" ON "devices" ("app_id", "last_seen_at");
CREATE TABLE IF NOT EXISTS "users" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "name" VARCHAR(255) NOT NULL,
    "email" VARCHAR(255) NOT NULL UNIQUE,
    "password_hash" VARCHAR(255) NOT NULL,
    "role" VARCHAR(16) NOT NULL,
    "is_platform_admin" BOOL NOT NULL,
    "created_at" TIMESTAMPTZ NOT NULL,
    "org_id" INT NOT NULL REFERENCES "orgs" ("id") ON DELETE CASCADE
);
COMMENT ON COLUMN "users"."role" IS 'owner: owner\nadmin: admin\nviewer: viewer';
CREATE TABLE IF NOT EXISTS "aerich" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "version" VARCHAR(255) NOT NULL,
    "app" VARCHAR(100) NOT NULL,
    "content" JSONB NOT NULL
);"""


async def downgrade(db: BaseDBAsyncClient) -> str:
    return """
        DROP TABLE IF EXISTS "events";
        DROP TABLE IF EXISTS "devices";
        DROP TABLE IF EXISTS "apps";
        DROP TABLE IF EXISTS "users";
        DROP TABLE IF EXISTS "orgs";"""


MODELS_STATE = (
    "eJztnG1z2jgQgP+Kx5/SGZpJCCG53M3NQEJ7XJPQaci115fxCFuABlt2ZTmE6eW/nyTb+N"
    "21CRBw/ckgaWXpWVnelVb+IRumBnX7sGNZ8oX0Q8bAgOxHOLkhyUDkeok8gYKRLsqxHJEA"
    "RjYlQKUsbQx0G7IkDdoqQRZFJmap2NF1nmiqrCDCkyDJwei7AxVqTiCdQsIyvnyRTTLh1V"
    "pAnYEJVESzvn1jKQhr8BHavBT/a82UMYK6Fmk80risSFfowhJpfUzfiIK8ESNFNXXHwEFh"
    "a0GnJl6WRpjy1AnEkAAKefWUOLxXvNFe5/2Ouh0IirhNDMlocAwcnYYojJQgTVaU28FQue"
    "sNFUUuwU01MWfOmmqL3k94E143j1tnrfOTduucFRHNXKacPbm3DsC4ggLP7VB+EvmAAreE"
    "YBxAFdcE1sspIOlc/fIxsqzJcbI+xzy0fkLANhhm24BrgEdFh3hCp5zo6WkOyn86Hy7/6n"
    "w4YKVe8Vua7LlwH5ZbL6vp5nHeAd/IUC/BOS5X8y7G29ZmygwuyqAOiayH8stOGFHGrSKI"
    "W9mEW3HAKoEchQJokvEVy6HIgOmco5Ix1Joneuj/2MfhzTqoDbC+8FSeg37Yv+ndDTs37/"
    "ntDNv+rgt+nWGP5zRF6iKWetCOqWlZifSxP/xL4n+lz4PbnsBr2nRCxB2DcsPPMm8TcKip"
    "YHOuAC00Ov1Un1pE646lraj1qGSt9V3Rus8opHav9YHWmbmmlLK6AoGfW177oNo1GF/cnB"
    "3PUm0vzxqOsn1jEogm+B1cCMR91iCA1TQbwDPmB24te4b2yR86fmowEREwX1r/oRHFes76"
    "C6n7Nu/cXXauerLAO2K20hwQTcngrMEHpEI7ybrrCb559wHqQHQhE/OVqKRCpAU6s2mGkE"
    "VgJrOMphFPAZgZqZp3b36nKK0U3zPgmO1+hhS2bg8UeK4v1oiJND604v7nDznoIy/uDT8d"
    "2FSxIcT8TcZF4KPFZlqbtWKJw+uqd39/AMmiMOuF+PNUyr/tosmv4uL+1myenJw1j07a56"
    "ets7PT86PldJvMypt3u/23fOqNvDR/7giHRkRCC9m+Q1Sqgk7acfO8gAfBSmW6ECIv6kOM"
    "CONWBvNSYCXC3mDeTcAb8YLFnFoG8FKgBlwIsP/cP0Bie2ZD2SkjJFpDLwadvYxXAR4Vq2"
    "EXgj1WDWY6zWAK6iGzZtJRR4SqADrPme99Gkb8eB/nwU3n06uIL389uH3rFw/hv7wedOOr"
    "a6aDKSm1fBkSqQLx2NAuMrCzh3V8UCPuTeu6S6gE47hc9UAft4uYefG1qJCV146zdmxImM"
    "M0MSBOWTTMZh2X255RLWM4l/eUtu25ooqYDkos2SUFt7d0d7Qp2GvZNA0ZHpoyB1Sdpq0h"
    "ZYKNCtVQ41Ath6hTYJdiGpGpkWYhVQh8gNhJecVdQRUZQM+nGxaPb9i48odePfsGPIfmVe"
    "+yf9O5PjhuNdx5l9luyF1s9ifk1lHCI9FWRB0VrCHnQR4jElp6TXLO3X5MCNc7kLuyA1lk"
    "3zmy6l5S9XHZWvP7pPk6zuRX1HodZ1I1rReJMwl2WYv6VkuBOs7k53Em3p73M+NMvKDxPU"
    "NbNM4kGFFl40w2GUbRe4CixYkoCjejkRdEwd0LWiyGQh5gKInyh9JHgiiFWBotpMvB+38l"
    "xH46+ow1zZTG7piRZnBhSwd0ChGRLEheE3MuqVOozsTtwkpZX81f8dx0dE1S2dTDRCeQXe"
    "iUmM5kajn01e8SIyEBrElu8IgkdMi6JxFomA9eI2wJPlo6UhHVF4dyIztGxBsLQqhEkEjI"
    "9HhOiAifG0P1uz1a7y3qKJTdjEKp34TPfhOGLYvIo1N8UEfEqgR2K8M7wO/On2V326JSFQ"
    "yqahc5ldHOPpXRTpzKcJHxaSUJ+u+7wW0eaF8q7jMhlUr/STqyNzbe5T/GDlbFW3rkIJ0i"
    "bB/y2/65qV24HOycUsRdSmznx3fuG1E/iFeQ2M6vFzFWiazYbfc1uWpBoArRw0p6jonWit"
    "5pRS/9gYSW7+/7V3mTbKop4ThIO+SS1VKrmDVPXD2FNSB6mrJS8TK+NT83k+JZe8dpsv1q"
    "k0w2cDKhPgRfH4LfBdN0M4fgdVAqYtcvv8XQrzGBcFNW56Zjv4CFyp55D4lU7sx766gAYB"
    "5mkAE4GYFQm/HZ6PdzVyprL7KEbRJZtHvm4dJq7a0kwoCfSeeeVVElPJu0agWrFLPWZ5ht"
    "1y4VVRu2tWFbG7aFDFtoAFTqnOVSoHJW14a+nmXbc5PNiVNgT0t5EHHBekQXI05MPWPG6G"
    "HHSISKRNcyPdktum0PCM7dF1sJ3rI5Z025kMTlKwaagfCFJC5fsVvjhRSq+cUdPGQrzCWm"
    "Y5MYimhmij1lMvgAZ7wu0+RjWhqxCjalpmXKdtchu4PBdcTX6PbjRzDvb7o9poxYLHpyI7"
    "P2ALMHf7U8wPr7V/X3r3YoLnH1719t0svsQILUqZz2aWE3p5H7deGgTO1q7tOz3MhxNVf4"
    "MMdzP8qxa8/0dj6BUm6Z36oo3eOjIqv8rFS2mX2UXOc3MU39WkF2CFVIZPvxUy+zvb+2SK"
    "kXDQR4+h+uAVsd"
)
