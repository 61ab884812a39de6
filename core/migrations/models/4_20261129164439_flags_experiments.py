from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True


async def upgrade(db: BaseDBAsyncClient) -> str:
    return """
        CREATE TABLE IF NOT EXISTS "experiments" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "name" VARCHAR(255) NOT NULL,
    "description" TEXT,
    "variants" JSONB NOT NULL,
    "target_metric" VARCHAR(64) NOT NULL,
    "status" VARCHAR(16) NOT NULL,
    "started_at" TIMESTAMPTZ,
    "ended_at" TIMESTAMPTZ,
    "created_at" TIMESTAMPTZ NOT NULL,
    "updated_at" TIMESTAMPTZ NOT NULL,
    "app_id" INT NOT NULL REFERENCES "apps" ("id") ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS "idx_experiments_app_id" ON "experiments" ("app_id");
COMMENT ON TABLE "experiments" IS 'An A/B experiment: draft -> running <-> paused -> completed.';
        CREATE TABLE IF NOT EXISTS "experiment_exposures" (
    "id" BIGSERIAL NOT NULL PRIMARY KEY,
    "device_id" BIGINT NOT NULL,
    "variant" VARCHAR(64) NOT NULL,
    "exposed_at" TIMESTAMPTZ NOT NULL,
    "experiment_id" INT NOT NULL REFERENCES "experiments" ("id") ON DELETE CASCADE,
    CONSTRAINT "uid_experiment__experim_397bb8" UNIQUE ("experiment_id", "device_id")
);
COMMENT ON TABLE "experiment_exposures" IS 'A device''s first exposure to an experiment (one row per device, the variant it was assigned).';
        CREATE TABLE IF NOT EXISTS "feature_flags" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "flag_key" VARCHAR(64) NOT NULL,
    "name" VARCHAR(255) NOT NULL,
    "description" TEXT,
    "flag_type" VARCHAR(16) NOT NULL,
    "is_enabled" BOOL NOT NULL,
    "rollout_pct" INT NOT NULL,
    "variants" JSONB NOT NULL,
    "segments" JSONB NOT NULL,
    "custom_segment_ids" JSONB NOT NULL,
    "countries" JSONB NOT NULL,
    "min_app_version" VARCHAR(64),
    "created_at" TIMESTAMPTZ NOT NULL,
    "updated_at" TIMESTAMPTZ NOT NULL,
    "app_id" INT NOT NULL REFERENCES "apps" ("id") ON DELETE CASCADE,
    CONSTRAINT "uid_feature_fla_app_id_09a04f" UNIQUE ("app_id", "flag_key")
);
COMMENT ON TABLE "feature_flags" IS 'A flag; evaluated by pipelines.flags.evaluate, served from the in-process cache of api.flagcache.';"""


async def downgrade(db: BaseDBAsyncClient) -> str:
    return """
        DROP TABLE IF EXISTS "experiment_exposures";
        DROP TABLE IF EXISTS "experiments";
        DROP TABLE IF EXISTS "feature_flags";"""


MODELS_STATE = (
    "eJztXW1z2zYS/isYfYkz47q27Di+tNMZ2VZaX5M4kzh3vb4MByYhCWe+FQDteHL57weA7y"
    "RIk5IoUQw+xQHxgNSz4HJ3sVh8GTmehWx6MDEZvsfsceoy8jh6Bb6MXOgg/oe6wz4YQd9P"
    "L4sGBm9tiYBRV8P25rLnLWWEN/JrM2hTxJssRE2CfYY9VyCuXQScgEGG3Tkg6O8AUQa8GY"
    "Au8MgcuphC0RXssQUC8fCAD/8DcNE9IgBZmCELsAXxgvkCiG6T91fPD8TtLc/k9+cjd36n"
    "wMV8QIN5c8TbCb/fH3/xZuxa6DOi4r9fRjOMbEv+PeI3NLAlGWIj0RF99gmilN+fxthICm"
    "5g24LiR18yPJKdOanyP1/3QdW4pmR49TuIjv6dIW+Smx3hfWS7EWPP8fzKZa9lX8H/rWF6"
    "duC4aX//kS08NwFgl4nWOXIRgZxd3sZIIOaJeKpoWsVTJyQ57RKym8FYaAYDm6W/iT9A2j"
    "YyjHfXN8bH6Y1hjEozMUZkpkzUZHLKOB38UakkYC4e4bt/jMfHxy/Hh8enZy9OXr58cXZ4"
    "xvvK5y1fevk1fJiUrXAoydnVz1fvbsQDefxVCd8j0fBVYiCDRirglP2AImKoRFDJfwbxtB"
    "BiyjNSiDhOhBB3SaWQvuKbE8P46OTlydnx6UnCftJSR3pMcIFQ5EBslzm9WEBSQ2qCKvDK"
    "H3cHeXXgZ8NG7pwtBJkvXtSw+K/Jh4tfJh/2eK/n+Qn8Lro0Dq/lqU51U1OaU8RSFJcUSK"
    "84Pj1pQPHpSSXD4lKeYK7ovYCYKKSpBc8l4ADpPh43oPt4XEm3uFRBt0ofNyBbqZQHoDzW"
    "P7Gx34bgsLfm9Wle5WcMck5Y649fghoezy+OmqgK3quSaXktT7WFGLcWaJnnf368fqfmOQ"
    "MpkGxhk4H/ARvTHbTgargVXIiRHUr/trOU7r2d/FZk++LN9bnkxqNsTuQocoDzotmhmNyX"
    "nC2GHVRhdqgmthVBDuI/dvGLSBC0rl37MZoVNaK4uXo7/Xgzefs+J4/Lyc1UXBnL1sdC69"
    "5pQUbJIODfVze/APFf8Pv1u2lRbEm/m9+FbzuCAfMM13swoJVx8+LWmLWclFMXuKFflAKW"
    "cot6J9o1+EXC55/dKf1OzlaZ29ceQXju/ooeJcVX/IGga6oMyCikdB2OsmPUfo2nTtyaTk"
    "kCH5IQSWZG8V/Ofy9i4Yd08vFicjkNQyq30Lx7gMQycjyLK97YK7QkfcuXnLFTbIEu/yRb"
    "0Y8QjxyH8ayPTJA9Vwf50qv7tRE+y6BhR4xosxDfxAV8vGcUQAtw7mZ4HpAw1DbzCPBcBH"
    "zizbCNAEVzh1sTYM+7R4RgPo4I0IlAG11g30cWiGRKFfG97m6jCO79ISni16KxRn8Vwn2t"
    "wmbfSsxsxWBNdTQslkIL4zUD0U5uAyeXZtRDU8M1i1nJcl2K7NGPs8CVgSNwG2CbYZceiN"
    "v+NBqIQRtqOYMrMaqMp1WqlTJwc6bPUa9VTMYl9oV9bxntvYY8UnsPffEeYo4y7kP09Bkf"
    "0ffbeQ8pQHsPT3sPkdG0ovcwCUfZMWqbeg/pjOqV9yA9grLbEIqixl/w/WZuQjWPSvM78k"
    "N9/uP4AxvysbQNvk0bXP7bwgCP+w/Q+u5k1TQ31VvwXMRpvpvxTa074w4p/J0anzKFrIfl"
    "7SqMPMdNFp3G1YtO49Ki08x0DJMgi3vhGKpWRG7Q5wqdrIAOYfmpzpCe/nZT70AmdvSb63"
    "c/x92LXmVZAj7x/otM1nLtuowcAv8b0Cp81i7pVuaR2q3si1vZZFFKBxOGJvUmwQS9FKmX"
    "Iru1FDpciswEbYpLfoWc7wj++tcPyIYVeZrKVcaBcF5I77nH5qo0XcpBhkoR+uwjgsXi24"
    "o0TZOBhkrVzIbzFUl6za3GgKDXfKQhsdRlrDN6/RThzvTFrI54ZjTAuoOeUfgcuhbxsCUU"
    "+0ohT71bR1zbxG6djMRKUqjZ9ZBDDTBudzQ+a+Bh816VHra8lvewbwnnrQ3NCUCHMBqFMK"
    "TOa0NwAtAEN9sfFb33lYkdT6uM6tQOTXoF6b6/FOF5mCa7EdkifMy8O6Sguj7on4CGQPSm"
    "w/2mF8Rb+JtO7wxkCIwXpnaTiV09rUub00SsybZbb7os4oZH9NFpEzOvGKnNWHmnyg1rS2"
    "T9FnGbM6pHLnoY7SjbNCocYUh10CKgXQZuLrB92BXZa040hZbxAJm5UAUNq9MOcyBNapFU"
    "PyDmAtJWnOYwmtIqSg2C7pEbKD5xl8jEDrTr2c3Ci8uZIf4gGmfXCK9h83J6cfV28mbv6G"
    "w/1LvcdsPhUkyskE8OSx6JtSTVeeC3SPJZY5KTL9TxYZuV2iJMq4vqz1pLastATW7l560l"
    "tyWcprZILUEm9w2MGgOier+bCtuPfW/ifoPZ9zbDhDLuxSF3iYSqEljnVPUlp6pJJp0Nlx"
    "d9Easlv0uS15mz36LUdebs0KTeJHNWb8Nd3ajV23BXypzt5zbc6T2ST1zKTAsv7NclpomQ"
    "EGtYs0cUy5b9fwAPBDOGuC/xCC6u3/8HYOFW2Hf7gHrA9URxHTFtwB16pGCPW1eykI6D52"
    "HxnYpC3GscuypTLpKevJMqVS5XODvtnzEWBGBNhbnDpMD13kLn+vUz109/u1b+dpUz6pWU"
    "1k3qHGxIxG5kemey9aX+bJvTkEcNMHV1/TV4Q8qEWmkTcsyj+hFsHFaRLR12WCZ/rd8OZz"
    "nOIEL3+H4pORegWtC9FnTiD5Sk/OnT1WWdklWaEkGArQOBHJZYw/qQoZyyEpC/VBFb2JI3"
    "nG4AVLnEue2BNX5xfj9io4K2k+/PQYp7BSwCZwx89xMggeuKA6Z+5H/7MKDIEq2m5/gigm"
    "Apy9auNNjTJ0/pMli6DNZWbOROtg5kn6xEc/XmgQJsCDnWm94+cA8JhspN29XuSRbTD+dk"
    "UJkQDBKu9g0H8ccy22idEnCA6mf9LjplkAWK+V9TES5BbHCngbQfuprine814FNzOX87j1"
    "yDG7ZD+n7nvDBO4TIyzuK0hPssYR03q1ahu5m4odN1vkWp63Qdna6z/U9ih+k6ucJkHg3I"
    "qtXb0rjjNBpwQLx3WnhLwVxtXDfLb5P4rpGTcINALwizCJ5RILcNgBgPmAegmwnagj1xwB"
    "jxHgBviVD7MlspioAAzMADpABSyt9aZKkOMOv6bspMKZSLkqdZE7qyWI/SMarDzTo7ZqvZ"
    "MdH71iYklIHooFuTvBihBZcLFuSQ2qXoi0vRxJHMfLRbeRYl3JCUW1cORt4GWNHPGGRV3q"
    "K7UZpmfdokkC35q7CfCxWBqw3nWdjRSKoQN7GYRecfALqHdiDELlL7fewjG7uIHsiRDuKL"
    "+4Aics/7zIjnSPMVu9/5xDMRpcCEJm/wZgD6WOJkg8pq3sAd66rxip7y1B99/Ng28y4SMb"
    "QwxbIYbYs1sMV0cotObtn+UlgnR2EJVdB2l0MONMA5vv7VfUwN5IrfropXeJ6NoFvxGcwB"
    "C1zfcmRXZCctm53k59fXb3KT/PyqOIs/vT2fcvoLpa4UFW082/YCZvhmm9KNBdQGDwg/3J"
    "VSQTohrncJcVFp11YiyWK0SNYuEjOgzHPiorvcXW4lHDVai2n9YpKVvpUnfNVIJwvSQlm7"
    "UBzsGkseTKCADsEv6NrD1Wlr1dQPd7VBp60NTeo6bW3rq0o6bW1Xq0yJM3EVC0fRUbnVC0"
    "YeabhOVM2j3s7ar2UVHfHvNuLv27CVWR/33+B2shlBqCuHqut4M/Rx20XBDGQ9JG9XP+QI"
    "PjlsQLA4JKGC4PL5CVEiYcXBQA1SEId3MtCGUxC1x1otkN30Xao81hZVVzIa0GT4HjOFCm"
    "yzp2ESjTKNTwPcsZlQuZ2h4A+uuPVjWM5KPkRCua+wGjvcf/gUjzJMihBZcQJ94kMMiZ6O"
    "vdRwOqld1WSq1fqrRjKvn05ulDWWKaDMI8iSW2/4ANDFVApVNpiQ21oWJMDxXLYAe59uLp"
    "7vgzvkM5GWGCYczhFlwIdsUU5m7OQOyuRFL/Tl5SB6r0+fLLtqXzwUltLIq1gDigF1tt3u"
    "qhsVs8I2UxVWVenlmombYrRbspxbInRrq4hcCtDB9aeD65H+XjG4HkV0d4zapsH1dEb1Kb"
    "j+ITyas/Ikh9z1WvMlOuTTaHuwA7QAduIzB55REI0D9t5ff7wB31Pr7vuoqeL0hrYDPB3U"
    "39JhDKsMqo2kXhpJelF3HQtCeoN5T8woaLXelZCBDHAVroM1IstwEXvwyF1LljOo4aXWdb"
    "Laudx55ls/zHxLruwy55kj03da0htDVua2Z/O5GbWnjamdI89gOIzPNtUSWczwdMRZAw1x"
    "Vqkfzkq5tzKbvNVifQYyPHrHTRRwtfrVqc3rUBV9WhhWJLW2XhnuMrQhV68UIY14Vas6lJ"
    "EsnenUwR3zFHXq4LaMaeRAbLchOAEMLq+tm9RMSCn37yxjAali2a0mR7MIHKBp0ol36NkV"
    "CmPqBk5pSaO4XX3DymN0j9FD+F1rwffIe+CP8grIf/50oeVg9xWQ//zphiO+ApmRtx4d2Z"
    "EzL2Sa286mKWNq+DZkM484hpwLimDrE9UxynhdJKNFkQzMXz4mjMc75LZW+ErwWpR+j76x"
    "699rG9GGPvuY+z9L+KXKAfSxIH3zTssyt4zbx3ardCXcUmtKPRPsutfquNurcrmq6zckgH"
    "7UbtAHR38b4baB7cvQaW867U2nvT0RG54ggs3FSBEdjq7s18WHYdpHB4h36V3erwkQL1HV"
    "aNVqRn17pzcQVVOW4ajb/uwPlN2jwya7n3mv6sDNYSkpgN+RKevm1xVNSyCbN7u346auzc"
    "De6kLn1/8D5SYuWA=="
)
