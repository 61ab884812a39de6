from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True


async def upgrade(db: BaseDBAsyncClient) -> str:
    return """
        CREATE TABLE IF NOT EXISTS "notifications" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "title" VARCHAR(255) NOT NULL,
    "body" TEXT NOT NULL,
    "data" JSONB NOT NULL,
    "target" VARCHAR(16) NOT NULL,
    "segment" VARCHAR(16),
    "segment_id" INT,
    "device_id" BIGINT,
    "target_count" INT NOT NULL,
    "status" VARCHAR(16) NOT NULL,
    "send_at" TIMESTAMPTZ,
    "batches" INT NOT NULL,
    "batches_done" INT NOT NULL,
    "sent" INT NOT NULL,
    "failed" INT NOT NULL,
    "error" TEXT,
    "created_by" INT,
    "planned_at" TIMESTAMPTZ,
    "sent_at" TIMESTAMPTZ,
    "finished_at" TIMESTAMPTZ,
    "created_at" TIMESTAMPTZ NOT NULL,
    "updated_at" TIMESTAMPTZ NOT NULL,
    "app_id" INT NOT NULL REFERENCES "apps" ("id") ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS "idx_notificatio_app_id_343305" ON "notifications" ("app_id", "id");
CREATE INDEX IF NOT EXISTS "idx_notificatio_status_ab2d56" ON "notifications" ("status", "send_at");
COMMENT ON TABLE "notifications" IS 'A push to some of the app''s devices through FCM, now or at `send_at` (pipelines.notifications).';
        CREATE TABLE IF NOT EXISTS "webhooks" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "name" VARCHAR(255) NOT NULL,
    "url" VARCHAR(2048) NOT NULL,
    "events" JSONB NOT NULL,
    "secret" TEXT NOT NULL,
    "is_active" BOOL NOT NULL,
    "failure_count" INT NOT NULL,
    "disabled_reason" TEXT,
    "disabled_at" TIMESTAMPTZ,
    "last_delivery_at" TIMESTAMPTZ,
    "created_at" TIMESTAMPTZ NOT NULL,
    "updated_at" TIMESTAMPTZ NOT NULL,
    "app_id" INT NOT NULL REFERENCES "apps" ("id") ON DELETE CASCADE
);
COMMENT ON TABLE "webhooks" IS 'A URL that receives the app''s events, signed with the webhook''s secret (pipelines.webhooks).';
        CREATE TABLE IF NOT EXISTS "webhook_deliveries" (
    "id" BIGSERIAL NOT NULL PRIMARY KEY,
    "delivery_id" VARCHAR(64) NOT NULL,
    "event" VARCHAR(64) NOT NULL,
    "attempt" INT NOT NULL,
    "status" VARCHAR(16) NOT NULL,
    "status_code" INT,
    "duration_ms" INT,
    "error" TEXT,
    "at" TIMESTAMPTZ NOT NULL,
    "webhook_id" INT NOT NULL REFERENCES "webhooks" ("id") ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS "idx_webhook_del_webhook_e4005d" ON "webhook_deliveries" ("webhook_id", "id");
CREATE INDEX IF NOT EXISTS "idx_webhook_del_at_51cf35" ON "webhook_deliveries" ("at");
COMMENT ON TABLE "webhook_deliveries" IS 'One attempt of one delivery (the same `delivery_id` on every attempt of it).';
        CREATE INDEX IF NOT EXISTS "idx_webhooks_app_id" ON "webhooks" ("app_id");
        -- Written only by hand-written SQL (pipelines/notifications.py): a push's batches of at most 500
        -- devices, one actor message each; `status` pending -> sending -> done (claimed_at: a batch left
        -- sending by a dead worker is taken again after a while).
        CREATE TABLE IF NOT EXISTS "notification_batches" (
            "notification_id" INT NOT NULL REFERENCES "notifications" ("id") ON DELETE CASCADE,
            "batch" INT NOT NULL,
            "device_ids" BIGINT[] NOT NULL,
            "status" VARCHAR(16) NOT NULL DEFAULT 'pending',
            "claimed_at" TIMESTAMPTZ,
            "sent" INT NOT NULL DEFAULT 0,
            "failed" INT NOT NULL DEFAULT 0,
            PRIMARY KEY ("notification_id", "batch")
        );
        -- Push history counts opens from notification_clicked events carrying notification_id: a partial
        -- index keeps that off the events table's full range (and costs ingest nothing for other types).
        CREATE INDEX IF NOT EXISTS "idx_events_notification_clicked" ON "events"
            ("app_id", (("event_data" ->> 'notification_id')), "device_id")
            WHERE "event_type" = 'notification_clicked';"""


async def downgrade(db: BaseDBAsyncClient) -> str:
    return """
        DROP INDEX IF EXISTS "idx_events_notification_clicked";
        DROP TABLE IF EXISTS "notification_batches";
        DROP TABLE IF EXISTS "webhook_deliveries";
        DROP TABLE IF EXISTS "webhooks";
        DROP TABLE IF EXISTS "notifications";"""


MODELS_STATE = (
    "eJztXW1z2ziS/isofYlTpXgc2+P4kqmtsh1n17dJnI3tm73dbDGQCFlYUySXAO245vLfDw"
    "DfQBKgSEmkKRpVUzNjEg1KT0Ng99Mv+GO08GzkkN2TKcX3mD6euzR4HL0Ff4xcuEDsf9QD"
    "xmAEfT+7zS9QOHGEBIyHWo53K0ZOCA3YRXZvBh2C2CUbkWmAfYo9l0tcuggsQgopdm9BgP"
    "4TIkKBNwPQBV5wC11MIB8KdugcgWR6wKZ/B1x0jwKAbEyRDeg88MLbOeDDTr5cvNzlj7e9"
    "KXs+m7n1J4UuZhNa1LtF7HrAnvfPf7HL2LXRD0T4n3+MZhg5tvj/EXughW2BEB3xgeiHHy"
    "BC2PNJIhtrwQ0dh0P86AuER2IwA1X88XMMdPNOBcLrP4EP9O8s8ZDc6oieI65biewpvr1w"
    "6QcxluM/saaeEy7cbLz/SOeemwpgl/Krt8hFAWTosms0CPk64Z8qXlbJ0olAzoZE6EoyNp"
    "rB0KHZd2IfILs2sqzPl9fW1fm1ZY1KKzGRkJZMfGnKIGNwsI9KBAC3/CO8+q/9/YODN/t7"
    "B0fHvx6+efPr8d4xGys+b/nWm5/Rh8nQiqYSmF38+eLzNf9AHvupRL8jfuGnkIEUWpmCM/"
    "RDggJLpQIt/pLEciUkkEtaiDFOlZAMybSQ/cS7U8P+68M3h8cHR4cp+umVKtATgAuAogXE"
    "ThnTszkMKkBNpQq4so+7hbgu4A/LQe4tnXMwf/21AsX/Ofl69peTrzts1Mv8Av4c39qP7u"
    "WhzvamujBnEitBXNpAeoXx0WENiI8OtQjzW3mA2UbvhcEURTA1wLkkOEC4D/ZrwH2wr4Wb"
    "39LArdqPa4Ct3JQHsHlsfmFjvwnA0WiD63JcxWsMMkxo45dfKjU8nH99XWerYKO0SIt7ea"
    "htRJm1QMo4//fV5Wc1zpJIAWQbTyn4P+BgsoUWXAW2HAs+84KQ/zgypDufTv5eRPvs4+Wp"
    "wMYj9DYQs4gJTotmh2Jxv2doUbxAGrNDtbDtWGQ3+Z9tfCMGCNqXrvMYr4oKVVxffDq/uj"
    "759CWnj/cn1+f8zr64+li4unNU0FE6Cfj94vovgP8J/nH5+byotnTc9T+4bzuCIfUs13uw"
    "oC25ecnVBLWcljMXuKZflAms5Bb1TrUb8Iu4zz+7U/qdDK0yth+8AOFb96/oUUB8wT4QdK"
    "cqAzKmlC6jWbYM2p/J0kmuZksygA8pRSKtKPbN2fdFNHqRnlydnbw/jyiVCZzePcDAtnI4"
    "8zvevle4ko4t31rsL4pXoMteyXb8JfhHTmg8+4pysG/VJF92d1zJ8NkWiQZiROpRfCcuYP"
    "O9IADagGE3w7dhEFFtMy8AnouAH3gz7CBA0O2CWRNgx7tHQYDZPJyg40QbmWPfRzaIdUoU"
    "/F57j1GQe/8UELF78VyjfxXovka02XPhzNYka/RsWKKFBsarJGKc3BpOLpG2h7qGqyyzlu"
    "W6Etij32ahK4gjMAmxQ7FLdvlj/zQaiEEb7XIW28SIkk/Tbitlwe5Mn9e93mIkl9jn9r1t"
    "Nfca8pLGe+iL95BgJLkP8aeXfETfb+Y9ZALGe1juPcRG05rew0k0y5ZBW9d7yFZUr7wHzP"
    "SCb+d0pHIe0pvVvgO2cDSuqefgMDUTChJpsANdbwEd5oKMgQ2x8whIuFjA4HEMHhC6Y38H"
    "yPcC+nLMXIGFH/K4fTROuALMvmdf1K7wIVp84PJUAeM7dOk72FBh0/I3vIaMhUpzVn6tb+"
    "/mpEKQv5YLtpEPHx0PKhaj3hWQRLr3BAZEYie7ywp2aUHUGKbGMG2g2q1/B5TM0iaG1BIT"
    "9tJF1x77V7sG7JOqoBXzdU2T9IZAsTAUBml0a5k5Gqajltqi194dcgkgPmeOfRTkkkbH4O"
    "b6jBl8j4BZeUA8C+z42EcOdhHZhXh3ymxHJjj1QoYn4Pmkj2AKHUdBZLf6JCWXHQd1YtNG"
    "TLoeoW3yQPm9LvJAjfXa2HqN1ncJNH2oIBUYYKDg9f5xjUgBG6UNFYh7xYQ4kV2vSHLR7g"
    "qySHdM2l6P7ZVc3pvLLHe2afMXQ8PdtiA5GGw72XelvIeQrqqCkqjRwYo6MKk9a+8qJrVn"
    "iKk9DgrYTyBAecu8fHdc6Q/xcdYcE+rFdX61qvdmmCMrKulAEDroLYCUOSa8uI7n3DD/hV"
    "8V7soD0673AHYirb8cA9ejmH1Hmw2dInXJ3manV7o/fAJ+M5K32AoPqPQ3cm3jDfXpjaD3"
    "hooarOsWFeWetX8kLfvmEMZSzxrAe+iEirKrD44HNbtAKlHAbcZFBobX5c3px3Pw5ev52c"
    "XVRRwhSZl2cZNfYhdw9G79en7ysRh/CtA99kJiNUe6LLoi5NtTTLEJxBeIJFRpHupr9EOD"
    "tCQyCN6kKph0/vfr6khfivfHy89/ToYXw3+FSN8cum4zokoSGQTkBarqqA5TVYzRSUTVUZ"
    "GnSuzDFYKpBdENBFO3Z0Ppeey0XBMEKUULvxEfKYsMhq/ZGB+JgsALmrwMUoEhVIl2/SaY"
    "cd99hT1KljPZHn3ZseoUMT55tsdTq3bD+xVneJoBKkkYRJdzxwmFtm5mN6cgv8ZzbRnCdS"
    "lkaWWpOeTCRrAJWE3C/NNw8mIp6yj5ZJ0vY+T5gqmbMM8rX20sat7EPyipbI3S2heIQT4l"
    "Y4A4/cGXApg8AgjIdI5sTqPLqUT84cpC25YeYhLj+5UYL/5bglXPPiTjB0g9tNIGLfqdNE"
    "E4kxggxpund9JtqhGHJgsZmGvATOfM8Zl7jmIPriDic1Im7FGHhOcFHDBAVhRqa7aoi5Ld"
    "rewk57T9pV0nk1Gfx1jKYtwWAp4BTOYTj1ms3cDcwkYdwWZFfQnKgOvLysqSps9ENf+4Qs"
    "0ZJpboh62wBk89z0HQ1RjaslxBLxMm2JZCEiO8W+hPLy8/5qA/vShyuzefTs/ZT+Nlfqcv"
    "01UOJNRKvacVmF/lBCZG1ecYlVBZ83yGvJjJZahjRgVoxZ9VXtKEVPryA6sTUjH9fIamdc"
    "W22r+y6adWrenns73hiQxnKSm/YH/Hgh/++hU5UENbKesABoL2z1ZjOCIyU47eROu1Im7j"
    "+/UCNvqvX1Wn7bMvxz6wJT6WaTxqYiS9IJZbiZHklnoDnItyBu96eBP7zrpDihdNRSPdTG"
    "QzKD/thpHHuM5JG/v6kzb2SydtzKYLi7mRNnIphqpjIPQ5lApRk025QjYlg9EPvH+jKW14"
    "YE9Zcgj4d7CrGMZFj/52+t6GcXmOWq/DuJgmDa0yLqZJQ5tNGiRmq3jOyRq8S+5olYFgnm"
    "dZi50jDEm1DKw0qXdNqAaWLJ83G0O2oBZWfFLLmmidicmuslNfhohYmgm0Jljv5YyiQQKF"
    "7vF03R/gezHJUCFCP3wU4A388s7TiYYK1cyBt2uC9IH5uWGAPrCZhopSVDI/FUCsidZnaa"
    "qhwgWxFZ0psSZWX8UkQ0XpAU3mnne3Jka/R7MMCaRGcdHcqsPZWS5qRJNu5zVMVPlgmO2i"
    "RSuBbRBDPvNcfs4ajJ9fCibn7o+X9CufSoPrlwTOIQUPmM6jGj1CMKcH6DuA4HQOJsjx3F"
    "sCqCcq+fiZ3rycT1T1SX3HlWWAG5t4eenfH6MM7+jg8cjDl6hCLsGMlgARIuCJJ4nxjrWc"
    "LNCRGMywE3/8NFHzLqPmFFNVubg+8pIKmDiuibg8T+7dRFyeo9ZNxOUJTn7NrIuagEoSBl"
    "ETw+oihlVcsBsA9CaeZqCISj/S1cOCcVPTdWMRkhv3KWuTOhDgW03JVkG3xKuWEK50rmXd"
    "1mt9H89MXp18uQCxeNSpXnbU34LAizvUs8uUH841cbzpHRkznxkQ/jfzkbkLLT6Xug1+e4"
    "9q6HvLj4t/Tuzfnfneppc+v9dFL32+kpr46Mn4AbrorbSmoXFArHarg0zEnKC7RjcD3RFO"
    "2m1lgAc3bcxXMjyTHurtZBzq8EwKG6Dmb0khaTzm5R7ztBAkWtPTK8actgzsuh6fYrH1qU"
    "NoPiNN5cQUU9b07osiVW65C8NzBwnwGEYgyocCkDLkJyFll7kPcbD3Spw0zJv4YPr4jjke"
    "iwlDFPBEz6itpwj1TaEzDTOnN+e8tPGQb+5O/gtbscwYPASYMjOJS83Z7K+Sv6/+9hFgF2"
    "SdR6MJEsBMB9I+xglNdW27UUL5k5Vg1hciFsSGUATXdRGi4902a/2aCnTYV/Dk8/tRJ4v7"
    "oMbSPtAu7IOyc+2oTiepao/pDOd0kjy0VRtwAu0bLbRvSid7q8sW9KxFKtCPvoz8eaYvo+"
    "nLmAe8bl/GyIBlSIYq6k5r7hXFDI2kbHiZGPird7wszWBaXvYnb0VBIxny8BmShyZJbWha"
    "r5OkZhoxtkoQm0aM23pOVFZqq2CAc3W4evY3X/ZbpyaEP8cW3hdPInnA9i2i/MQmQbR6Cz"
    "+MT23iqSLp7Bl7Kh/hFBGp2UdQnhjV+vMMdWuo297sSB1Qt/FPqAkVI4kYMmbjZIxxZoZm"
    "1hpn5jlq3TgzxpkxzsyqzkzUEUflyaS9circmKwpz6Y7p8dLCrp24GGbI7dW33SThc7vdZ"
    "GFLmmsgTeRlxqgT/F6v85hh2yUPid9v3Tg4SRguDWBORUYXty8nRN/+Z7XBOBUwABcC+Dk"
    "d8/TPhue+6sQNaDXA52ZIqsAnhczYNcCm/egFwUpZairTw5IhYYAdNfpeiJ1Q9XatiqnLB"
    "UZAuKFpV1nYeuXdXFRY+7MOU6EUAOMi3LDA3rzlYeiDJ5kNQV1sS7KdZiH6qKHtljittEm"
    "cUF045yxsqDJGitmjUHbeoB0OldlpOqpuJyQAbUIqh8G0zkkjTDNyRhIdZBaAbpHruqA5/"
    "doihfQqUZXFi/GCyL53XiebQO8As3352cXn04+7rw+Hh8V8nOTDflwr+SR2CtCnRd8jiAf"
    "1wY5fUMd7DUJhRTFzHahf601hLYsaMDVvt4aYluSM9AWoQ3QlJfiVhgQFWVCClmTpFLNY6"
    "yQpDLDAaHMi0PuChkLJWGTtNCXpIU6qSqiQmZF1Rdljea3SfMmNe05at2kpg1N6yY1zaSm"
    "PX3QbUtT087vNV2WohvjqsQ0TgnVbarEm7WK8e/kXkRnl1/+l/cfmoTO3RgQD7gemEXLBt"
    "yhRwJ2mHUVNWbFt4FocqSoo9nw3LpMuVh74kmqVLlcP9hsvGQscIFV28Hy3UyaPy6e3+gj"
    "TK5fP3P9zLtr7XeXol1F00WdExsSsJ0sb+kATbF/Ns1pyEsNMHX16LBGkP3oUBtk57dUQP"
    "NtpQnlmJfqB9nIHzsYstHQDquooucOZ5ln4NQ9vl9JzwVRo+heKzr1B0pavrm5eF+1ySpN"
    "iTDE9i6XHJZao2aFkZ5kDYhvquAWnsgbzs7kVrnEuRO7K/zi/BHhNRpPuODkl1OQyb0Fdg"
    "BnFLz6EwhC12WYg9/Y//swJMjmV3lzCM4g2IquEmtOZlpGmJYRvdlRTLfffmzfrZQP3MMA"
    "Q7dZtw5Zph/OyaAyISgM2LZvLRD7WI0aMZcEB7j9bN5FJxTSULH+9ThnEh1WGgj7oa0l3n"
    "qtAVuaq/nbeUnTNLXXXhiDcBUdy3JGw33WsOHN9FvodiZumHSd56h1k65j0nWe/pXYYrqO"
    "ZJT8YL+LMFj3XOyMdzyPJxwQ7q0ei61ArpLXlfGtw+9aOQ3X6TAcZRG8IECUDYBEnp8/DV"
    "2JtAU7notA4D0APz0ibiyylWIGBGAKHiABkBD2q0W2sr9wy09TZkqhHEueZU2YzmI9SsfQ"
    "080mO+ZJs2Pi31sTSkgSMaRbnbwYvguuRhbkJI1L0ReXoo4jKb20G3kWJbkhbW5tORh5G2"
    "BNPyMfdt8yoOu6G6Vl1qcigQ8IUmY2fnDgrcp+lm9XGs6zaKA1YyNrW8x88DuA7qETwvg4"
    "jOzUCzHTbnJzDAgK7tmYWeAthPmK3Vd+4E0RIWAKp+yCNwPQx0JOXFBZzR08saobLx9p3a"
    "HH9Szm52Iut5Z3kaqhgSkmyxhbrIYtZpJbTHLL04fC2khuEVtB0yqHnNAA1/jmo/uYWMjl"
    "313FVyw57VcS7PC43/TK1p73G3iO44XU8qdNWjcWpLpzo17vbUurIJMQ17uEuLi1ayOVyD"
    "JGJRtXSXTSYdJ0l7nLjZSjljZq2ryaRKdv3KzhWU7IKGXjSllg11rxYAKF6BD8grY9XJO2"
    "pod+uNEGk7Y2NK2btLUnjyqZtLVt7TL12aN4hqcw/talCFLu/rgqhORKI2uHkPyQzHnOE/"
    "EWIh7D4zTsES9InOpE2JXAC2/n4MPZpzFgv27gBQBS8J0gl2/F3+WT1nMfQZl21erzvrkX"
    "lIBJ1NGaz/7r3l46r4PveQgKfJeFrHgwm3UOXftV0iTr6m8f654Sr+ltxdO6xhvraZXVNs"
    "UwdNfNykTL1oyWUUydRlR3KjBAmruVUM7EsxWxSH0MJxk/CHy7jt407Zpk+iUl+Gycsogq"
    "ixttLanEINZ++4dxNT71bN0Dz3rNAbWGcDPfMC+0kn/YN5iH0sixn7h2nKked3xoeoJfUc"
    "wcGFMEdjuaQmz1duyu1A4iEzOdAvrDwpbJ90nj0y8n5uhL/X4Ug2PZnqvw8JdhmooZYEsb"
    "vdLqrjAIzRtTDeQMYmUCoBbKTMCAWerPHQRe0IRoSgWG4Ap2TTQlQf6JgtvTLt+80IBcmM"
    "2dZ+lA110p/p6XNIZenw09/kZczZCnRr9boN8ZdjGZr/QzLogaPfdZzyZHTv9i3M5sKZMj"
    "9xy1bnLkTI7c078StzRH7jJQNlfgl8dVGXFeULOXgh5Hc+RDv5KpTFV8u6lU3Mdvgm8yvs"
    "OW67MAoVEnCG8+vgZ93LRxhiSyGZCfdn/IAXy4VwPgwz0twPyWMvFBE3qvkfswvOh7x8kP"
    "xmPVK2Q7fRedx1qytfXWobQDTim+x1SxBTbp+3sSz3Lu0uBxC1eCzh7PvyywFRJmEa8JFb"
    "5JJhkkSL6/Zg/pYXl0xRXEBvCy5KwqaHWgzqSphorYBn5wzC0d9C8uJGwRrAfRDZtiSPA0"
    "Ij+kIF04qehBlgB66aJrj/1rOaxXhfm2MmyjRrcZWxT9/tSUUfrbrOSNsjfv8irKc35kLQ"
    "GEegGyRZt4NgF0cbRTigtTyHweGwZg4bl0DnZurs9ejsEd8ilvoRk1x7xFhAIf0nm5brKV"
    "JygbbXoRpyYmMX3p++Rh6TmxSFklBXBnSw1/KlDlY23v/qxClvtIxWyue3X3qqqFm8kYem"
    "A1eoDvrY2Y8UzABLmWB7ni/XvNIFccWdkyaOsGubIV1acg11fkewFVGS3xnUqThXl6gRhW"
    "u/NDqlwQCYpu3C5vxgB2vlxeXYNfIP4lnjOxJKBri4pd5eHqm5hx5XYLEndoOiP0aa+qMl"
    "wENCVYK6qXH03733HdUJNpO9F2rJQ9kSrrVPQFAZLIIFA2zSf6BXorbSZcGDB08D2yiBcG"
    "04b5F2XZQaz8trfvrJClmbtUkjM1MCZG/Xxj1Ca/1uTX9oh66Gd+7VdOa4ZIRBlGSgJCuj"
    "+uoiGCaKSV8aTLqYhLFwFoA7xIXPYXBMTzJLwBse9+iS8pukquMsFTEw2F/o7SWcBrTGri"
    "M72Mz5j3zmatN3MO85NGcGAMdwn8ihzmTMQ4f3XSxG3LRfTBC+4aoixJDaHlRAckXmwVKP"
    "xANMUL6KihlqSKPmAkthuLb+Hiroqin59dfDr5uPP6eHxcOAtNztYvxNmn/qIhvInI2tj2"
    "bD3Xg/aoNrS3yLMoRoqeNPpdQpYZ3h5xXGOHONbuD8dlij9MMszr4iuJDA/e/TobsH77NS"
    "cAbSSy0iPeLcFkneKQNqmNK4ayr2c25NvjKmKDiIGNeI0TEM0OHtBk7nl3QAiPAXYJCsTh"
    "6WjmBQhgCjDhWRIOZhd3sCuyNQn7oGwvgC6BooX5y7fAc1E0B8A2EynxIG0/8JubyHjuFI"
    "G598BuBsCbUeSO+TEdyRW2lKdhEDBB53GcfCgGKeblA+zxNRmYRnSGfkNWOnzbXzu5QWvY"
    "ZGjU8fL269gWbJTez9sv2xfRa6wZkSEJGRpjaxJR+2bXbZiUC9AUsf19FVuuIDpAY27AQd"
    "XoNK2V9F4QNY3ojA2vtuHlsjaVEV8oe6uw4qWRda14N1dr9YIk9mx0WjazdnkKszzxGEAi"
    "LGqHLVRCk/GRIR3NPmE2NBuxUGRRt/q4b+4395oN5V1bmB1OkDMDhMJHwix68J23S9rlt7"
    "6DHW7HPwIHL5izwDcvbra/fMdmYZ5D4D0wb4EJPTC7XbgTU+47zAJvsa5l/+TVIX0IV7aW"
    "bx07sclSUiJddZSGSnojHNcw3aoS8PLPdjXwFTMYBdRSwDYcHBM1R+moudVBHS73QE/mHp"
    "TZ3IjzsXwUYM+2kKtY4UtYXeUMxjDsm2GY0zrP53OYDV+p91PPcxB0NWrXTFFQ/ITN0dZP"
    "L73SrbZPLy8/5hR9elGsgrj5dHr+ded1ISaoPhsLKb2wKi5JljIlzasxSaZbs14h20l8KD"
    "a+tBPJyg7xkiLtpM1LzTzpFUu0n9TQa6VAey1qQTQiUlAKSYMiPZWQdkEyzYUH4x+b5sLt"
    "emFoAbHTBOBUwERvazVvhoQ8eGxPnEOiaAhU0cW5KDjAzKVWkkc9XYn9uRsuSm/yfNTL67"
    "rafnSP0UP0XmuA98h7YB/lLRD/+eZCe4Hdt0D855sbzfgWSDM/efK04Xo6ABkTy3cgnXnB"
    "whJroaHLr5Q3/n4Dfx+zHx/lxuMdchtv+ErhoTHJR4c1Vv3RoXbV81tKzNEPHzNHcgWHXz"
    "mB4Tf74+aX+c1IZc0bMZTkTNZQeRPjUWmFBaVv6JIKdN/RZfTbLHRFaiyYhNih2CW7/LF/"
    "ausd3nWfF5ONr1/328lj1kngevKUi6dWrWnIuVV8r677iDnqYNON6hty6b9HVScjBZ2e3B"
    "pXMepx1Urt6pqbrx8BnUOenybyh6MsODb/CxJlv5ExIOxXhmzwgOlc3I2fwUYQxF5aFOz4"
    "2EcOdhHZTZ6v6DDS9sNMIMAEAnqzeXTAm4ZBozBAPHyI6O4d1qkq4sP0+Iqb9Xrb6x0rbW"
    "f7J/Ks+PMG41lF+39ZHfpGsZnEIFZ9lb/URp9YTKyMX29GS2dyHdLRyctza9noGcROGGgP"
    "3tRaJCW5wSShba7dFSb8a9pWgCBRHRSl30UUokOI7Ha9m6QwNmfGCqKG6u8z1e9AQq24T8"
    "HjCspWyRuN91njhvLWv8aGS3mbhO2haV2XsG3af5v23z0KdKze/lvufivsC4zWDHHEnPz7"
    "2FwZEOpdRDlS2PTRDhnZpVEPK6/Wml3TKUULX5yzxlt1JZYn2En7eX1PrVFsf+dF/lFdvy"
    "SIqa6j+gYnb9htPcEk+qms2RS90Gm9ywPiTIt1fq+LFuvSSmwSWCiIDYJqbTsHEt0rzzyr"
    "KOK4H9KJZ23DG++eTczUTMLYqZrC6P7XA3S2ZNsquGD42YpwS2XluSRlsmMVzH8YCCPeWi"
    "iWr/6ci7yUAbYMLAoCT9E0XR9ISQVM+KR5+KQ5zWbotX7Ra3VI1bzTVnOvygsZ82U5zfaQ"
    "pVKuSbVJSZlbBnFdui2/uvp04t4JCvB0PlKQR/GdcRVnBLMxpvnENv2uxxUUBs83x6r0Dr"
    "2fIokM0FFpJfNUGaWoOFIrGj5AdF/v7dXxA/f29I7gXuk8Iul4+7p5p5KIOaS9YYppyUzo"
    "8mX28/8BlIYU8g=="
)
