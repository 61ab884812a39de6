from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True


async def upgrade(db: BaseDBAsyncClient) -> str:
    return """
        CREATE TABLE IF NOT EXISTS "blog_posts" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "title" VARCHAR(255) NOT NULL,
    "slug" VARCHAR(120) NOT NULL UNIQUE,
    "excerpt" TEXT NOT NULL,
    "body" TEXT NOT NULL,
    "html" TEXT NOT NULL,
    "status" VARCHAR(16) NOT NULL,
    "published_at" TIMESTAMPTZ,
    "author_id" INT,
    "created_at" TIMESTAMPTZ NOT NULL,
    "updated_at" TIMESTAMPTZ NOT NULL
);
CREATE INDEX IF NOT EXISTS "idx_blog_posts_status_aa3ed0" ON "blog_posts" ("status", "published_at");
COMMENT ON TABLE "blog_posts" IS 'A post of the platform''s blog: Markdown as written, and the sanitised HTML rendered from it.';
        CREATE TABLE IF NOT EXISTS "codeagent_runs" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "kind" VARCHAR(16) NOT NULL,
    "job_id" VARCHAR(64) UNIQUE,
    "status" VARCHAR(16) NOT NULL,
    "started_at" TIMESTAMPTZ NOT NULL,
    "finished_at" TIMESTAMPTZ,
    "open_count" INT NOT NULL,
    "new_count" INT NOT NULL,
    "fixed_count" INT NOT NULL,
    "summary" JSONB NOT NULL,
    "error" TEXT
);
CREATE INDEX IF NOT EXISTS "idx_codeagent_r_kind_e715fa" ON "codeagent_runs" ("kind", "id");
COMMENT ON TABLE "codeagent_runs" IS 'One lint or security-scan job of the code agent, and what it found.';
        CREATE TABLE IF NOT EXISTS "codeagent_findings" (
    "id" BIGSERIAL NOT NULL PRIMARY KEY,
    "fingerprint" VARCHAR(64) NOT NULL UNIQUE,
    "kind" VARCHAR(16) NOT NULL,
    "tool" VARCHAR(16) NOT NULL,
    "rule" VARCHAR(64) NOT NULL,
    "severity" VARCHAR(16) NOT NULL,
    "path" VARCHAR(512) NOT NULL,
    "line" INT NOT NULL,
    "message" TEXT NOT NULL,
    "snippet" TEXT NOT NULL,
    "status" VARCHAR(8) NOT NULL,
    "first_seen_at" TIMESTAMPTZ NOT NULL,
    "last_seen_at" TIMESTAMPTZ NOT NULL,
    "fixed_at" TIMESTAMPTZ,
    "first_run_id" INT NOT NULL,
    "last_run_id" INT NOT NULL,
    "fixed_run_id" INT
);
CREATE INDEX IF NOT EXISTS "idx_codeagent_f_kind_be4f07" ON "codeagent_findings" ("kind", "status");
COMMENT ON TABLE "codeagent_findings" IS 'A problem a tool reported, known across runs by its fingerprint (rule, path, normalised code).';"""


async def downgrade(db: BaseDBAsyncClient) -> str:
    return """
        DROP TABLE IF EXISTS "codeagent_runs";
        DROP TABLE IF EXISTS "codeagent_findings";
        DROP TABLE IF EXISTS "blog_posts";"""


MODELS_STATE = (
    "eJztXftv3DiS/leI/mUcoJPxIw9fZrGA7dg7vkninO3c7e3OQqBb7G6uJVFDUn5gLv/7kd"
    "RbomSpuyWrZQIBkogsSv2Roqq+Klb9OXGJjRz25mjG8R3mj6cep4+Tj+DPiQddJP6h7zAF"
    "E+j7abO8wOGNoyRg1NVyyEL1vGGciouibQ4dhsQlG7EZxT7HxJMSFx4CbsAhx94CUPRHgB"
    "gHZA6gBwhdQA8zKLuCHb5EIB4eiOF/AR66QxQgG3NkA76kJFgsgex29O381Rt5e5vMxP3F"
    "yJ3fKfCwGNDiZIHEdSru989/icvYs9EDYvK/f07mGDm2+vdE3NDCtkKIT2RH9OBTxJi4P4"
    "tlo1nwAseRED/6CuGJ6ixAVf/5MQVV484UwuvfQXb0by11k9zqCO+jrlux7DFenHv8TPWV"
    "+N9YM+IErpf29x/5kniJAPa4vLpAHqJQoCuucRrIdSKfKlpW8dIJQU67hOhmZGw0h4HD09"
    "8kHiC9NrGsrxfX1tXptWVNSisxlsgsmejSTEAm4BCPyhQAC/kIr/9jf//g4MP+7sH7w3dv"
    "P3x4d7h7KPqq5y03ffgRPkyKVjiUwuz8b+dfr+UDEfGqhO+RvPBDyUAOrXSCU/QDhqilm4"
    "JK/DMST09CDHlmFiKMk0mIu6SzkL7i/U3D/t7bD28PD96/TdBPrtSBHgNcABS5EDtlTE+W"
    "kNaAmkgVcBWPu4W4uvDBcpC34EsJ5rt3NSj+99Hlya9Hlzui16v8Av4aNe2HbXmo072pKc"
    "ypxEoQlzaQQWH8/m0DiN+/rURYNuUBFhs9CegMhTC1wLkkOEK4D/YbwH2wXwm3bKqAW7cf"
    "NwBbuymPYPPY/MLGfhuAw94G16dxVZ8xKDDhrT9+idT4cH6312SrEL0qkVZteahtxIW2wM"
    "o4/+fVxVc9zhmRAsg2nnHwf8DBbAs1uBpsJRZyZJexP5wspDtfjv5eRPvk88WxwoYwvqBq"
    "FDXAcVHt0CzuTwItjl1UoXboFrYdibyJ/7GNX0SKoH3hOY/RqqiZiuvzL6dX10dfvuXm49"
    "PR9als2VdXHwtXd94X5igZBPzP+fWvQP4X/OPi62lx2pJ+1/+Qtu0EBpxYHrm3oJ0x8+Kr"
    "MWq5WU5N4IZ2USqwklk0uKndgF0kbf75rdbuFGiVsT0jFOGF9xt6VBCfiweC3kynQEaU0k"
    "U4ypZB+yNeOvHVdElSeJ9QJJkVJX65+L2Ihx/So6uTo0+nIaVyA2e395DaVg5n2UL2SeFK"
    "0rfc5O67xSvQE59kO/oR8pFjGs++4hLshZ7kS1untQyfbbGwI0asGcV35AEx3k8MQBsI7O"
    "Z4EdCQapsTCoiHgE/JHDsIMLRwhTYBdsgdohSLcSRBJ4k2tsS+j2wQzSnT8Hvd3UZD7v1T"
    "QSTaorEm/yrQfa1os5fCma1J1lSzYfEstFBeMyLGyG1g5LLM9tBUcc3KrKW5rgT25C/zwF"
    "PEEbgJsMOxx97I2/51MhKFNtzlLLGJMS2fVrmtlAX7U332Br3FZExiX+r3ttXeashLGuth"
    "KNZDjFHGfIiePmMj+n476yEVMNbD09ZDpDStaT0chaNsGbRNrYd0RQ3KenAQFa8ARXlttt"
    "xabz3IftZSfPRJFErQKEBgjiWyylkPaOCgjwBy4BLpv5dqPaLqKoCeDe7F7JJ7sBPO+qsp"
    "8AjH4jfaousM6aMCNju81lqQA8jGUF6YUJDyzP+RZ69nQRjHe1+O9+IMljUD/SwU5er0gu"
    "3d3XQ4y+96QbnKLPv2EEZSLxrAO+gEGs/umUNgxS6QSBRwm0uRkeF18f348yn4dnl6cn51"
    "HhleiZapGhV184eDw2/r5enR5wLAPkV3mATMao90WXRFyLfHX7MJxF3EmNA9ylBfo4cKpD"
    "Mio+Bw6gyp079f1xMICd6fL77+Le5eZBUKBMISeh5qFfCUERkF5HnabO99A9psr2ifprSZ"
    "bMpDHOuHK/AIBdENEAnbs6EMnDcoux0h58j1ucavX00dZET6Iw92u9XON8a/IUoJbfMxSA"
    "TGEIjS95dgLm33FfaorJxhOoeyYzWJkzBM52b3K8nwtAM0I2EQfZo7jim0dcljSUFeRmNt"
    "GcJNKeTMytJzyIWNwHDy28vJq6VcRcnH6/wpRl4umKbRPDK4xsbKra7+oDh4Joy+cZGAfM"
    "amAEn6Qy4FcPMIIGCzJbIljb7jYx852EPsjbq5Npano5s8fUzPxO30Gbej/i7BWs0+xP1H"
    "SD10ctIqfE/aIJxKjBDjzdM7yTbVikPLChmYG8DMl8LwWRJHswfXEPE5KeP2aELCz4jrQ4"
    "qs0NXWblEXJftb2eID8zjpZWkfNljZh5UL+7C0fWwJAS8AZssbIjTWfmDuYKMOYbPC0Mcy"
    "4NVBrGVJE8pazz+uEMqKmaVSbmi0wWNCHAS9CkU7K1eYlxsh2NWExEp4v9AfX1x8zkF/fF"
    "7kdr9/OT4Vr8ar/E5fpqscyLiVWE8rML/aAYyPasg+KjVl7eMZ8mImlqGJGkXRiq9VXtK4"
    "VIbygjVxqZgjA2ObdXNk4NndPsY90aV7IsU5E5Rf0L8jwbPfLpEDK2gr7TmAkaD9o1Mfjv"
    "LMlL034Xqt8dv4fjOHTfXP1x5UiM73++LHiQe21GOZs83GRzIIYrkTH0luqbfAuShn8G6G"
    "N7NvrVuk+dDUnNVPRTaD8vNuGHmMmyTz2q9O5rVfSuY1n7mWMCNt5HEMdZmmqmMoNaImmn"
    "KFaEoBo0/Jv9GMt8wJWJYcA/497CqGcalGfzttb8O4vMRZb8K4mBRvnTIuJsVblyneMsxW"
    "MZXaGrxLLnvbSDDPs6zFzBGGpHoKrCSod02oRhYsn1cbA7GgXCtKBrcmWidqsKs0sdwYEU"
    "sigdYE61M2omiUQKE7PFv3BfykBhkrROjBRxRv4M07TQYaK1RzBy7WBOlM2LkBRWdipDGh"
    "1KV35tghi2/CeJloXDRJ27TOT3MjelnS/ml8vMYnYV0qedrFF3M6J9T9iQE50EfwBdJbm9"
    "x7ADJwTzHnyJuqxFQqey30MMcM2eDX6y+fAUVipoSWA+aUuABz3TGbbm/WsiqWMCl4EJKO"
    "wY2D2TK0z6VIL9WrjKtqTVcVx1x3RrOa7kwEjPOkofPECTTGeY3nJOo/OrfJ3v5ukxDx/d"
    "3qGHHZVsg58TBD1NdwiTVZJ1KRHsPxJ91+ZHtzlNwQW2PMV6Md9x/FdtE32Evuak6aVIMd"
    "9zdgrwB2qss03qpT7afHcz0UznlXu0nXZ3pyWmIJ6Xr/T1HWnFwYjsOn7OcTjUvSst5pTs"
    "ZUPC0fATIu82qot9N5alzmL3HWq1zmJRfv82SpORF/HckikZeBN9HwaLn2aR2XNhOXVLlJ"
    "iwZeQz5N5nd3xAQDQgFDs4Bi/viazaAH/k1uYuZLDgzUyCG/db+EHGAO5iTwbH3O+A2M2Z"
    "Idu8Vh3mvxQTOM2LC+qdWMWDxpTY2AuP8obK6u9X/xtrUMr0wlNhJWOSA+bPM1gbfEghWf"
    "Ak/CtKVrWNWDWEkdy0sadWwo6lgTJXyOvVWJi4Ko4S2Go3WX55n4yBNzF+hKU1ZHq+aETG"
    "bwIm/hofvWmOZkDKRFSOdY/ILWoBakDKxFWFngulAXrlpTMjUVMWmm6r0yK6SZMkUFuvaB"
    "DYh0OhMwh3BoOae4edqMcpqH3ZuHcVEixnABBJwQB1DkE6muT8Gtp0KqZpQwBiSRJVMXY8"
    "6AuMMCUZ9KZmlHBm9PgQ/5UtYYpC50VKyVfB5tvuSub7ciWRWZhL0RVqYOomzrow5iZvm0"
    "4QgKYqOLS9o8D2MoxC4TC0c5IhsHLEb9DbgNwNVX7KgGN+4/QnA7oGfRHZKOp1YEbUZmhC"
    "B3EGEkFKI2AMf9Rwjuu739BuiKXpXwqrZCFlrsaXaISg0u7m6YhiLTYIqn9h/h6WHfR62C"
    "xTMiJlh8rCG1kr7vxxu54WIEc0wZtxhC3mqFIPPCI3RIjskzpZJ6rzjXRVkz1YOe6tBNs8"
    "or/WDczFsyw3LzpYHXLkK+KGaSI1UVymgNbUHKIFvpdF5h1ebFzNGOioxez+R5yyXB0fne"
    "illyarxv5ew8T7veZLoiBsgdoiBMwQIgF+jfBFxclpHYB7uvbfgIVN0gzB9/AS5ybxBlQO"
    "aWCiuJIjhbghl0ZkGaVCPncOviJr97O/kfbEUy0zj7gpRaitFfx/+/+q/PAHsgLXYaDhAD"
    "ZoqeDjEm3CT07jZHQvbJSjBXkzMFMRPw0Z6hcciiXbXZRKBHfubo66d+6JmDBkv7oHJhH5"
    "RLzTq62KW6ipzOeGKX8tDWbcAxtB8qof2gc1RqiMXqKL1EYBgxevJ+o4nRM6Ugey4FGSqw"
    "raN/i2LGKaelDmIFf/Uim6URDBk3ZDLOpFWofsHGe6LLpFUY26xrXnZT+9HUfuz5k9hh7c"
    "cuWeA0u7eGAc6l/q5mf/OZxpucuZD3sZX1JbNw3GN7gTibRkQrcf2Ah8yrzM+RjJ6yp2Cn"
    "SKSmj6A9dNH5/Qx1a6jbwexIPVC30SvUhorJiBgyZuNkjDFmxqbWGmPmJc66MWaMMWOMmV"
    "WNmbAIj86SScrz1JgxaR2gTRdrj5YU9GxKsC2RW6tUuzk8Ldv6ODydmbEW1kReaoQ2xd5+"
    "kyMNoldNUYfSsYYbCtsdoE4Exuc378RoU3teG4ATAQNwI4Dj9/4OUaYNanp6y8iIGtCbgS"
    "5UkVUAz4sZsBuBLcvec3KLWgXs5YTGAHTf4XoqdEOXnqwupiwRGQPihaXdZGFXL+viosbS"
    "mHOcEKEWGBflxgf05hM1BAzROGy+DdZFuR7jUD103xVL3HnS4iiPV+uYsbKgiRorRo1B27"
    "qHfLbURaRWU3E5IQNqEVQ/oLMlZK0wzckYSKsgtSi6Q16g+cR9QjPsQqce3ax40V8Qyr+J"
    "xtk2wGvQ/HR6cv7l6PPO3uH0fSE+N96Q35aqU4p3fDWo84IvEeTDxiAnX6iD3TaukKKY2S"
    "6qP2stoS0LGnArP28tsS3JGWiL0FI0k0dxaxSImmNCGlkTpFLPY6wQpGISF40zaKFJqIrJ"
    "Y/RSZ96Epr3EWTehaWObdROaZkLTnt/ptqWhaad3FVmWwoZpXWCapISaJlWSJW9V/1+yuY"
    "hOLr79r8w/dBM4t1PACPAImIfLBtyiRwZ2hHalTr+4eEFVkiPNOZoNj10VKRfNnrqTLlQu"
    "V78k7Z9RFqTAqlVM5G6WGT86PL/RW5hYv2HG+plv19rfLk26iraLOic2JmB7Wd6ZEmpq/2"
    "wb05CXGmHo6uYLfISQyW2lDeWYlxoG2TiqEoKGdlhlKgZucJZ5Bknd47uV5rkgaiZ60BOd"
    "2AOlWf7+/fxT3SarVSWCANtvpOS4pjVMVhjOU3YG1C8dTO7h0wcfUVyVeDjTOq21i5N+TR"
    "NPeODo52OQyn0ENoVzDl7/VVbc9ATm4C/i3z4MZFFN8S+ZHEIyCLYmq8Sag5mUESZlxGB2"
    "FJPtdxjbdyfHB+4gxdBrl60jKzMM42RUkRAcUrHtWy4Sj9UqEXNJcITbTwc1OLejIpnSH7"
    "pa4p2fNRBLczV7Oy9pkqYO2goTEK4yx1k5M8NDnmHDm1VvodsZuGHCdV7irJtwHROu8/yf"
    "xA7DdTJKyYN4LwKqi/k/jkTPfrtEaYkwPdAp73gaDTgi3H/0w+cmyNXyull8m/C7Vm6Gm2"
    "QYDqMIfmJAHRsAsTzgBEAvQ9qCHeIhQMk98JMScVMVrRQxIABzcA8ZgIyJtxbZ2vzCHd9N"
    "GymFcix5GjVhMosNKByjmm420THPGh0TvW9tKKGMiCHdmsTFyF1wNbIgJ2lMiqGYFE0Myc"
    "xHu5VlUZIb0+bWlYGR1wHWtDPybvctA7qpuVFaZkM6JHCGIBdq45kDFzr9OdtcqzjPw47W"
    "XPRsrDHLzr8AdAedAEblMNKqF2qkN3HjFDBE70SfOSWuUl+x99qnZIYYAzM4ExfIHEAfKz"
    "l1Qac193DHumy8sqd1ix7X05hfirrcWdxFMg0tVLGsjNHFGuhiJrjFBLc8vyusi+AWtRW0"
    "PeWQExrhGt+8dx8zC3nyt+v4iieq/WYEeyz3m1zZ2nq/lDgOCbjlz9qkbixI9WdG7e1uS6"
    "ogExA3uIC4KLVrqynJypgp2fiUhJUO46S7wlxuNTl6aTNNm58mlekbt0t4lhMyk7LxSXGx"
    "Z61YmEAjOga7oGsL14StVUM/Xm+DCVsb26ybsLVn9yqZsLVtzTJ1QbWOI3l5WucwIrShn6"
    "gaR3OcdVhuFcP4d8v4+w5spdbH/Xs8TjanCHVlUHXNN0Mft3UKZkQ2A/Lz7g85gN/uNgBY"
    "FkmoALhcPyEKJKwoDNQgBHF8lYF6DkE0Fmv1hGyn7VJlsbbIupLZAWcc32Gu2QLbnGk4ik"
    "Y5jasBbtlKqDzOULAH1zz6MS5jJU+RMGErrIeOsB++x6OMEyJE11xA38UQY4KnYys1XE56"
    "UzVZarX2qpWs66eDG1WOZQYYJxTZ6uiNGAB6mKlJVRdmUOhaNqTAJR5fgp3v1yevpuAW+V"
    "yGJYYBhwvEOPAhX5aDGTu5gzZ4kYS2vBrEnPUZkmZXbYuHk6VV8ip8QLFAnW63vduNDlmp"
    "m+kSq+r25ZqFm8oYs2Q1s0Tura0YuVTAkOtPk+vR/r0muR4xulsGbVNyPV1RQyLXL8PSnJ"
    "WVHHLttepLVOTTalvYAdoAu3HNgZ8YiMYBO98urq7Bz8y+/Tm6VFG9oe0AT5P6z1SMYZ1B"
    "jZI0SCXJOHU34RAyB8wHokZBu/WphIzICL1wHfiIbMtD/J7Q25YoZ6TGF1rXibdztXrmz1"
    "7M/JlM2VXqmaOZ77aENxZZG9uBredm0L5vDO0CEYvjkJ9tuktkZca3Rxw22CEOK/eHw1Ls"
    "rYomb+Wsz4iMD979Jhtw9fZrQps3sVUMyTGsCWpt7RnuktpQ3isNpRF7taqpjMR1ZkIHt8"
    "xSNKGDz6VMIxdipw3AicDo4tq6Cc2EjAn7zraWkGncbjUxmkXBEaomnViHxKnYME69wC25"
    "NIrH1XvePCZ3GN2H37UWeE/IvXiUj0D99bsHbRd7H4H663cvHPEjyIz87OzIltS8UGFuWx"
    "umjJnlO5DPCXUttRY0ZOsT2THK8iZJRoskGVi8fFwqj7fIa73ha4U3sukP6Bu7+bO2EWzo"
    "wcfC/lnBLtUOYMqCDM06Lc+5bd08tvPSleRW8ikNbGI37asTZq/O5KrO35AIDCN3gykc/T"
    "LotpGdyzBhbybszYS9PcENHyGKZ8uJhh2OWqZ1/DBM+xiCeJve5WkNQbxCVqN1sxkN7Z3u"
    "gVXTpuGoO/7sjxTdvd0mp59Fr2riZrcUFCDuyLV58+uSpiUi/avdz2OmbkzBflZH54//B/"
    "gSg4c="
)
