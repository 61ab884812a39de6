from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True


async def upgrade(db: BaseDBAsyncClient) -> str:
    return """
        CREATE TABLE IF NOT EXISTS "activity_log" (
    "id" BIGSERIAL NOT NULL PRIMARY KEY,
    "user_id" INT,
    "user_email" VARCHAR(255),
    "action" VARCHAR(64) NOT NULL,
    "resource_type" VARCHAR(32) NOT NULL,
    "resource_id" VARCHAR(64),
    "ip" VARCHAR(64),
    "user_agent" VARCHAR(512),
    "details" JSONB,
    "at" TIMESTAMPTZ NOT NULL,
    "org_id" INT NOT NULL REFERENCES "orgs" ("id") ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS "idx_activity_lo_org_id_99306d" ON "activity_log" ("org_id", "at");
CREATE INDEX IF NOT EXISTS "idx_activity_lo_org_id_59144d" ON "activity_log" ("org_id", "action", "at");
COMMENT ON TABLE "activity_log" IS 'One mutating request of an organisation (the activity log; never edited through the API).';
        CREATE TABLE IF NOT EXISTS "org_usage" (
    "id" BIGSERIAL NOT NULL PRIMARY KEY,
    "month" DATE NOT NULL,
    "events" BIGINT NOT NULL,
    "org_id" INT NOT NULL REFERENCES "orgs" ("id") ON DELETE CASCADE,
    CONSTRAINT "uid_org_usage_org_id_8830fe" UNIQUE ("org_id", "month")
);
COMMENT ON TABLE "org_usage" IS 'Events stored per organisation per calendar month (UTC), kept by the ingest path.';
        ALTER TABLE "apps" ADD "fcm_project_id" VARCHAR(255);
        ALTER TABLE "apps" ADD "fcm_credentials" TEXT;
        ALTER TABLE "orgs" ADD "device_count" BIGINT NOT NULL DEFAULT 0;
        ALTER TABLE "users" ADD "status" VARCHAR(16) NOT NULL DEFAULT 'active';
        ALTER TABLE "users" ADD "theme" JSONB NOT NULL DEFAULT '{}'::jsonb;
        ALTER TABLE "users" ADD "invite_expires_at" TIMESTAMPTZ;
        ALTER TABLE "users" ADD "invite_token_hash" VARCHAR(64) UNIQUE;
        ALTER TABLE "users" ADD "invited_by_id" INT;
        ALTER TABLE "users" ALTER COLUMN "password_hash" DROP NOT NULL;
        -- Counters start from what is already stored.
        UPDATE "orgs" SET "device_count" = counts.n FROM (
            SELECT a."org_id", count(*) AS n FROM "devices" d JOIN "apps" a ON a."id" = d."app_id" GROUP BY a."org_id"
        ) AS counts WHERE counts."org_id" = "orgs"."id";
        INSERT INTO "org_usage" ("org_id", "month", "events")
            SELECT a."org_id", date_trunc('month', e."created_at" AT TIME ZONE 'UTC')::date, count(*)
            FROM "events" e JOIN "apps" a ON a."id" = e."app_id" GROUP BY 1, 2;"""


async def downgrade(db: BaseDBAsyncClient) -> str:
    return """
        DROP INDEX IF EXISTS "uid_users_invite__2140be";
        ALTER TABLE "apps" DROP COLUMN "fcm_project_id";
        ALTER TABLE "apps" DROP COLUMN "fcm_credentials";
        ALTER TABLE "orgs" DROP COLUMN "device_count";
        ALTER TABLE "users" DROP COLUMN "status";
        ALTER TABLE "users" DROP COLUMN "theme";
        ALTER TABLE "users" DROP COLUMN "invite_expires_at";
        ALTER TABLE "users" DROP COLUMN "invite_token_hash";
        ALTER TABLE "users" DROP COLUMN "invited_by_id";
        ALTER TABLE "users" ALTER COLUMN "password_hash" SET NOT NULL;
        DROP TABLE IF EXISTS "org_usage";
        DROP TABLE IF EXISTS "activity_log";"""


MODELS_STATE = (
    "eJztnetzo7YWwP8VjT9lZ9JM4jiPbjt3xkm8rW838c6u09vnMArItm4wUCHieLb53yuJNw"
    "gCfsVQfYojdAT+nYM45+ggf+3MbQOZ7lFfp/gJ0+XAomTZeQ++diw4R+yDvMMh6EDHiQ/z"
    "BgofTCEBg66aaU9FzweXEtbIjk2g6SLWZCBXJ9ih2La4xMhCYO5RSLE1BQT95SGXAnsCoA"
    "VsMoUWdiHvCg7oDIFweMCG/w5Y6AkRgAxMkQHojNjedAZ4t/6n4bsjfnrD1tn52chbP5Nn"
    "YTagRu0pYu2Ene/3P1kztgz0jFz+79fOBCPTEJ877IQaNgQh2uEd0bNDkOuy87uhbKAFyz"
    "NNjnjpCMId0ZlBFf+8HIKicXVBeP0z8I7OoyZOkrIO/zyiXQtlr/B0aNEPoi/n/6DptunN"
    "rbi/s6Qz24oEsEV56xRZiEBGl7VR4nE74VcVmFVoOj7kuItPNyFjoAn0TBp/J3YBcVtH0+"
    "5GY+3LYKxpnZwlhhIJkwmadIaM4WCX6goAU34J33zb7Z6eXnSPT88vz3oXF2eXx5esr7je"
    "/KGLF/9iYlr+UILZ8Ifh3ZhfkM1uFf8+4g0vQgZSqMUKjul7LiKaTAWF/BMSryshRJ7QQs"
    "A4UkLYJdZCfIvvTg3dk95F7/L0vBfRj1rKoIeAM0DRHGIzz/R6BkkJ1Egqw5VdbgO5zuGz"
    "ZiJrSmcc5tlZCcWf+5+vf+x/PmC93qUN+C441PWPpVHHc1NVzLHESohzE8heMT7vVUB83i"
    "skzA+lAbOJ3vaIjnxMNTjnBFuI+7RbAfdptxA3P1SAWzYfV4AtnZRbMHls3rCxUwew31tx"
    "fZ2reIxBxoTWfvhFUu3jfHZSZapgvQpJi2Np1AaizFtw85z/+2V0J+ecEMlANrBOwd/AxG"
    "4DPbgStpwFH3nuun+ZSaQHt/1fsrSvP46uBBvbpVMiRhEDXGXdDolx3zBaFM9RgdshM2wj"
    "EDkKPzTxiUgQNEaWuQysokQV4+Ht4Mu4f/sppY+b/njAj3RF6zLTenCe0VE0CPjfcPwj4P"
    "+C30Z3g6zaon7j33hs24EetTXLXmjQSIR5YWtILaXlOASuGBfFAiuFRXun2g3ERTzmnzxK"
    "405GK8/2g00Qnlo/oaVAPGQXBC1d5kAGKaWRP0rD0L6EphO2xiZJ4CJKkSQsin1z9n0R9R"
    "+k/S/X/ZuBn1J5gPrjAhJDS3HmR+yunWmJ+uYPzbvzbAu02CPZCL4Ev+QwjSeydvnsnuO8"
    "ktNzHLdSLq+YoyQ79ntoSQ77cuyCNXFZf2aSZrWST/+WzNOaKY/inJL4W8P/C/u3MEjcSt"
    "4jZeo1OGflFO9qvF3jUXtEyzqoEyKbofy2E0aacZWwsVscNnZzYeNEn2s6QQaLADGUxTRj"
    "9FwwJ0tE2xBAljnSg1/G5TFN5Ed/HN39EHbPBjp5DTjE/j/Sac3sU16yDfx3MKswq+U4tP"
    "rhZFpShZVNCis9x1hR62lJpfV90XrIKKH24OpVMkElE1qQTEjmnJ+wjiT+2VUg+OGnz8iE"
    "BWusAeYbMUiLSL9sM9sS0JIkXGKOxTmXhMI2nXaBQb7HMoiNDW5a2aRLqqKIdQ/Mz4Qu1V"
    "yELE1VFLWxoihhETktlFRmpKRamJk46V5WiCFYr8IYQhxLxxAPhHGrgzkSUEFapSBNzKl1"
    "AEcCCnC1Gq7gvn9CxK1bzJUXVdCrQWcP41WAp8UU7EqweYKM2o9Igro8rRkJtQH0rhOauu"
    "2FrxlUNe+ESBuIZ0y7imEXm3WugI5H06ZZuzA0K9c+0CfnVdy8bC4q4eWdS4vqXDSdr1JW"
    "l5DbnVPdsdCi01DabhCKamI6qJGyywvuLnV3vC3YG345AhraAlJ9JsshFYJNCymoWaiOR/"
    "QZdGsxTckopEVINYKekOVJHnE3SMdzaJbTTYpnF2x8+aNgnKYBL6F5M7ge3vY/Hpz0Dv15"
    "l/lu2E82hxNy7zgXkRgrok4LKshlkCeYJFKvec6ly485YbUCuS8rkFXWnVNZ95qqz8oqzT"
    "dJ86rO5N+odVVn0jatV6kziVdZq8ZWkYCqM3m9ziRY816zziR4U6JhaKvWmcQWtU8vrQye"
    "kLjiXBWFf+CwrIiChxe0Wg2F2BxG9P8OLAimFFngYQmuR59+BZh99MzHQ+DawLLBxDcb8I"
    "iWLjhg3pXYCGaOp0TUzxRsPLPBsYuqOgLtiTPVKOtIOAsb3IjGL2DZ7ClU3ch+1o2oZ9fa"
    "z670C+KJW6e6UafE2gR2J+Yd4/fnz7rrY2mpFpZBbX7PCR8Zn1byoIv3QkhLrbUdwmpLZN"
    "9PPEvsRsSe3Nik2HKP+Gn/s611s13vkqDSDquoYs8DznyegSAd4aeV9JwRVYrea0VH8UBO"
    "y/f3w5uySVbqSngeNo64ZLvU6m/65espqQHxTSW5hbeJhvmbLpJYOHgBpjgStsl0C+8SqL"
    "0a1F4N++CabmevBhPWqrEN+++wWGtCENqW17ntai3o4LpbMyREWrc1Q++4AmBeGFAAOF8z"
    "EKQDCorhKiQS2lcNt+NEggqkihXSzJW8ovXbGt5hehNkvsO85Oas8VJubm/+hllC4bu5md"
    "XRNd9dbtfSXabKnMUK69Fh8cN9OEo7ESGypgHdsyHahGfLUapvTvJQNTK10nhVi+z69cVb"
    "sRbsApfaBBnAQST9gx68QYfM1zIgAXPbojNwcD++fncIHpFD+VosX2VlGPkPgjiQzvJLuF"
    "s5Q9muiGKQ9bZDVCugu1oB9ZUldfKKXjYOBMp8u+ZON9LCZ+abyRaAZPNyieHGMiosWS0s"
    "UVsarZ+YKyk1U1saNXV/ZOHiSVyW0PUrdlci/1Ll1xt1G5c901V+fbv59dq/tLXej2ztmf"
    "HuYq9p113YbE6cQVfim5ZtNp0RbN+r/lsBTmyzYMIYWN4899xPV1QEsjtcPHrCaOE/12rw"
    "7tgLdinvgfjzhwWNObbeA/HnD8sf8T1IjPzmy0yMN/UkIUbJBuCRxA6VIXLBjV3Lw67mmJ"
    "BObDLXhC1IQjqbWTi0ClwSmXyG/gMbYFv4o5bdRsRXo9HH1KLG1TC7P8797dWAKSPzonA+"
    "psPs5qPI33io9oQvFd7IpL9Hz9gt/BSdjw09O5ggd4VVPukAG1js27NHb0PW9irV0vkqM7"
    "SHZb0USk5O/QBvfhJjYa8s5CouBY8EVBV46gZSVeCqeCE/wanfzlO54bd3AxqaG+4jgvVZ"
    "R5IdDo4clv6CXtxHJYibdC8fliSIV9iHd909ePftnt7Njsd1CAfdW0j35LhKiTDrVZy4Oc"
    "4VCbMzUunmpMVOd0Jk927324SpG3Ow3/Qtopd/AHLnA0M="
)
