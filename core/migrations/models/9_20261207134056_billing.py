from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True


async def upgrade(db: BaseDBAsyncClient) -> str:
    return """
        CREATE TABLE IF NOT EXISTS "stripe_events" (
    "id" VARCHAR(255) NOT NULL PRIMARY KEY,
    "type" VARCHAR(128) NOT NULL,
    "created" BIGINT NOT NULL,
    "org_id" INT,
    "received_at" TIMESTAMPTZ NOT NULL,
    "notified_at" TIMESTAMPTZ
);
COMMENT ON TABLE "stripe_events" IS 'A Stripe webhook event, inserted before it is applied (in the same transaction): one event id is';
        CREATE TABLE IF NOT EXISTS "subscriptions" (
    "stripe_customer_id" VARCHAR(255) UNIQUE,
    "stripe_subscription_id" VARCHAR(255) UNIQUE,
    "status" VARCHAR(32) NOT NULL,
    "current_period_end" TIMESTAMPTZ,
    "cancel_at_period_end" BOOL NOT NULL,
    "state_at" BIGINT NOT NULL,
    "updated_at" TIMESTAMPTZ NOT NULL,
    "org_id" INT NOT NULL PRIMARY KEY REFERENCES "orgs" ("id") ON DELETE CASCADE
);
COMMENT ON TABLE "subscriptions" IS 'An organisation''s Stripe customer and subscription, as the latest Stripe event described them.';"""


async def downgrade(db: BaseDBAsyncClient) -> str:
    return """
        DROP TABLE IF EXISTS "stripe_events";
        DROP TABLE IF EXISTS "subscriptions";"""


MODELS_STATE = (
    "eJztXftz27gR/lcw+uWcGcXnR+K4Sacz8iOte0mcxk6f6bCwCEmoKZIHgFY81/zvBcA3Cd"
    "CkJEoUjZlOLya5IPUtuNz9drH4bTD3bOTQ/dGY4QfMHi9dRh4Hb8FvAxfOEf+H+oIhGEDf"
    "T0+LAwzeOVICRpdajjeVV95RRvhBfm4CHYr4IRvRMcE+w54rJK5dBOYBgwy7U0DQrwGiDH"
    "gTAF3gkSl0MYXiUrDHZgjEwwM+/DvgogdEALIxQzZgM+IF0xkQl40+X73YF7e3vTG/Px+5"
    "9TsFLuYDWsybIn6c8Pv969/8MHZt9B1R8edvgwlGji3/PeA3tLAtEWIDcSH67hNEKb8/jW"
    "UjLbiB4wiIH32J8EBezEGVf/wYAt24Y4nw6ncQF/r3lrxJbnaE95HHrVj2DE+vXPZeXivw"
    "v7PGnhPM3fR6/5HNPDcRwC4TR6fIRQRydPkxRgIxT8RTRdMqnjohyOklIboZGRtNYOCw9D"
    "fxB0iPDSzr0/WtdXN5a1mD0kyMJTJTJjo05pBxOPijUgnAVDzCy98dHR0fvzk6OD45ff3q"
    "zZvXpwen/Fr5vOVTb36ED5OiFQ4lMbv649WnW/FAHn9VwvdIHPghZSCDVqrgFP2AImKpVK"
    "DFPyPxtBJiyDNaiDBOlBBfkmohfcU3p4ajw1dvXp0en7xK0E+OVIEeA1wAFM0hdsqYns8g"
    "qQA1kSrgyh93B3Gdw++Wg9wpmwkwX7+uQPGvoy/nfxp92eNXvchP4E/RqaPwXB7q1DbVhT"
    "mVWArikgHpFMYnr2pAfPJKi7A4lQeYG3ovIGMUwtQA55JgD+E+PqoB9/GRFm5xSgO3yh7X"
    "AFtplHtgPNY/sbHfBODwaoPr07jKzxjkmLDGH79Eqn84vz6sYyr4VVqk5bk81DZi3FugZZ"
    "z/fHP9SY1zRqQAso3HDPwPOJjuoAdXga3AQow8p/RXJwvp3sfR34ton3+4PpPYeJRNiRxF"
    "DnBWdDsUk/uCo8XwHGncDtXEtiOR/fgfu/hFJAja167zGM2KClXcXn28vLkdffyc08fF6P"
    "ZSnDmSRx8LR/dOCjpKBgF/u7r9ExB/gn9ef7osqi257vafIrYdwIB5lustLGhnwrz4aIxa"
    "TstpCFwzLkoFlgqLOqfaNcRFIuaf3CvjTo5WGdv3HkF46v6CHiXEV/yBoDtWOZARpXQdjr"
    "Jj0P6Ip058NJ2SBC4SiiQzo/gv578XsfBDOro5H11chpTKHRzfLyCxrRzO4ox35BWOJNeW"
    "T82P5sUj0OWfZDv6EeKRYxrPvmEC7Kma5EvPDisZPtui4YUY0XoU38gFfLyfKIA24NhN8D"
    "QgIdU28QjwXAR84k2wgwBF0zn3JsCe94AIwXwcQdAJoo3OsO8jG0Q6pQp+r73bKMi9f0mI"
    "+LlorMG/C3RfI9rsuXBmK5I1ejYs1kID5zUjYoLcGkEuzZiHuo5rVmYlz3UpsAe/nwSuJI"
    "7AXYAdhl26L277h0FPHNrQylnciFEln6Y1K2XBzbk+h502MZmQ2Bf+vW01jxrykiZ66Er0"
    "EGOUCR+ip8/EiL7fLHpIBUz08HT0EDlNK0YPo3CUHYO2bvSQzqhORQ8OIvwVICjvzZbPVk"
    "cP4jprxj/6XlRKUKtAYIIFsjJZD0jgoLcAMjD3RP5euPWIyKMAujZYcO16C7AXav3FELge"
    "w/w32vzSMVJXBax3eGW0IAYQJ0N5HkJBwjJ/I9deLYIwifdNJd6LGix7BmotFOWq/ILdtW"
    "4qnMV3veBcZaZ9cwgjqWcN4AN0AkVm973jQY0VSCQKuE2ESM/wuv569uESfP5yeX51cxUF"
    "XomXKU9K6uZXB4ff1i+Xow8FgH2CHrAXUKs50mXRJSHfnXzNOhCfI0q571GG+hZ91yCdEe"
    "kFh1MVSF3+/baaQEjw/nD96Y/x5UVWoUAgzKDrokYFTxmRXkCep80OT2rQZofF+DSlzcSp"
    "PMSxf7gEj1AQXQORsDsGpeO8QTntCBlDc58p8vp66iAjsjny4KBd73xt/BsixCNNPgaJQB"
    "8KUTb9JZiI2H0JG5WVM0xnVyxWnToJw3Su114JhqcZoBkJg+jT3HFMoa1KHgsK8ks01o4h"
    "XJdCzswsNYdcMASGk99dTl5OZR0lH8/zpxh5MWHqVvOI4hoby7S6/B+Ki2fC6ps54pCP6R"
    "AgQX+IqQDuHgEEdDxDtqDR93zsIwe7iO7LmytreVq6ydPL9EzdzibrduR/S7Dq2Yf4+h5S"
    "D62stArfkyYIpxI9xHj99E5iphpxaFkhA3MNmNmMBz4zz1HY4AoiPidl0h51SPixN/chQV"
    "aYams2qYuSm5vZ/APzONjI1D6tMbNPtRP7tGQ+doSA5wDT2Z3HPdbNwNyCoQ5hs8LSxzLg"
    "+iLWsqQpZa3mH5coZcXUki03FN7gmec5CLoaRzsrV9DLHRdsSyGxE75Z6M+urz/koD+7Kn"
    "K7Xz+eXfJX40Xe0pfpKgdSZiXR0xLMr3IAk6Pqco5Kqqx5PUNezNQy1HGjCFrytcpLmpRK"
    "V16wOikVs2Sgb1o3Swa2nvYx6Yk20xMpzpmi/IL/HQm+/+ULcqCGtlKuA+gJ2j9azeHIzE"
    "w5exPO14q8je/XS9jof75yoUK0vt/nP44/sCUfy6xtNjmSThDLreRIclO9Ac5FOYN3Pbyp"
    "fW/dI8WHpmKtfiqyHpS3azDyGNdp5nWkb+Z1VGrmNRnPLR5G2shlGKo6TelrKBWipppyiW"
    "pKDqNPvP+iMWvYE7As2Qf8N2BVDOOiR383Y2/DuDxHrddhXEyLt1YZF9Pirc0Wbxlmq9hK"
    "bQXeJde9rSeY51nWYucIQ1I9BVZS1LsiVD0rls+7jQGfUHMraga3IlrncrCbtLFcHxFLKo"
    "FWBOsiW1HUS6DQAx6v+gJeyEH6ChH67iOC1/DmXSYD9RWqiQOnK4L0nse5AUHv+Uh9QqnN"
    "7EzeoivyNCWTr8/YKD41T6+2Ed9eCkSfWhDaEwAZx+kuYPywaEh1fPDSho/JflXvwBzN7x"
    "ChQDhK4bIYBMczMIbOOEhnSG61TRs3+ebu5X+wFckMwYJgxpArpGZ89Jfx3zd/+QCwC9KV"
    "O+EAMWBmBY/JTnXMJm2A18w+WQlmPZFfEOsDibxpEt/xps2WTiUCG6zLH326GGxkch/XmN"
    "rH+nbS5XVTjqq7R9XyEqc/3T3y0FYZ4BjaN1po35R2o1KH/foFDolAN9Y1iPuZdQ1mXcNw"
    "qXUNoQPLkQxU2wFo3b2imOnHpFwwEjv4y68YKY1glox0J9NWTrCatLr+BdvNBKtJqz9HrZ"
    "uFDFtPq5uFDLvaZylNVSkY4FweS8/+5tNmddosifvYMvoSvY8W2J4iJjoeSaLVm/tB1PVI"
    "dEVKRk/Z02wLpJBITR9B2XGp9fsZ6tZQt52xSBugbqNXqAkVkxExZMzayRgTzPTNrTXBzH"
    "PUuglmTDBjgpllg5mwokwVySS1ZhVhTFrUtu6Vx9GUgq5NPGwL5MyOaPVe8i3viJbRWINo"
    "Ii/Vw5ji8KhOs0B+lb6L3VGpYeAdgao90/QwJwL9y5u30zFX2LwmACcCBuBaAMfvvXbX6q"
    "dNhn7fagO6BnTuiiwDeF7MgF0LbLGGm3n3qFHBXk6oD0BvulxPlm6oloZV1ZQlIn1AvDC1"
    "60xs/bQuTmosgjnHCRFqgHFRrn9Ar79XcUARicvmm2BdlNtgHaqLFm2xxG2jTREVHzjauG"
    "asLGiqxopVY9C2FpCNZ6qKVD0VlxMyoBZB9QMynkHaCNOcjIFUB6lF0ANyVQ2SL9AYz6FT"
    "jW5WvJgvCOX3o3F2DfAKNC8uz68+jj7sHZ4OTwr1ubFBfnVQikjsJaHOCz5HkE9rg5x8oY"
    "4PmqRCimLGXOg/aw2hLQsacLWft4bYluQMtKVNStFYLMWtcCAqlgkpZE2RSjWPsUSRygQT"
    "yngUh9zltmPOC5uiha4ULdQpVZErZJZUfVHWaH6XNG9K056j1k1pWt+0bkrTTGna9pNuO1"
    "qadvmg6bIUnhhWFaYJSqhuU6VrFwF5/btsL6Lz68//EP2H7gLnfgioB1wPTMJpA+7RIwV7"
    "3LuSq1/meEpkkyPFOpo1j62rlIu0J++kKpX7bZBinrk+4ywIAfTdJxHXEysnQj6aXvFLIe"
    "/1ncMq/5DWLDN+tHh+rbcwtX7drPUz366Vv12KdhVNJ3VOrE/AbmR6ZxpQSvvZtKYhL9XD"
    "0tWTOnuSnOj3JDkp7UkSQibMShPKMS/VDbKxV9suG9phGVV0POAs8wyCuscPS+m5IGoU3W"
    "lFJ/FASctfv15dVBlZpSsRBNjeF5L9UmvYrDDUU1YD8pcquIUtRcNpT2tVSJzreF0RF+db"
    "bNdoPOGC0c9nIJV7C2wCJwy8/AMggetyzMHv+b99GFBki6OiOYRgEGxFV4kVBzMtI0zLiM"
    "5YFNPttxvmu5XlAw+QYKjch0AfnmRluhGc9KoSgkHCzb41R/yxGjViLgn20PysP0SnDLJA"
    "Mf8rtmVNJDa40kD6D21N8dbXGvCpuVy8nZc0TVM7HYVxCJfRcVbOaLjLGja8md6E7mbhhi"
    "nXeY5aN+U6plxn+5/EFst1cnvteTQgq25ImPKOl9GAPcK91b3kFMhV8rpZfOvwu1ZOw3U6"
    "DIdVBD9RIJcNgFgeMA9AN0Pagj3PRYB4C+AnW8QNZbVSxIAAzMACUgAp5W8tspX9hVu+m7"
    "JSCuVY8rRqwnQW61A5hp5uNtUxW62Oid63JpRQRsSQbnXqYoQVXI4syEmakKIrIUWdQDLz"
    "0W4UWZTk+mTc2gow8j7AinFGLzeaLoYbpWnWpUUC2V2sFf5zYZNrveM8CS+0ko2163jM4u"
    "J3AD1AJ4DRdhjprhdypP345BBQRB74NRPizaX7it2XPvHGiFIwhmN+wJsA6GMpJw+ovOYN"
    "3LGqG6+40rpHj6t5zM/FXW6t7iJRQwNXLCtjfLEavpgpbjHFLdtPhbVR3CJNQdNVDjmhHs"
    "7x9Wf3MbWQK367iq94YrffjOAGt/tNjuzsfr/EcxwvYJY/btK6sSC1uTDq8GBXWgWZgrjO"
    "FcRFrV0bqSQrY1SydpWEOx3GTXd5uNxIOWppo6b1q0l2+sbNGp7lhIxS1q6UOXatJTcmUI"
    "j2IS5oO8I1ZWt66PubbTBla33Tuilb23pWyZSt7WqXqWuiTByJw8OqhJFHauaJ9Dia5azd"
    "SqsYxr9dxt93YCO3Pr5+g8vJJgShtgKqtvlm6OOmScGMyHpA3q59yAH86qAGwGKTBA3A5f"
    "0TokJCzcZANUoQ+7cz0IZLEE3EqlfIbsYuuoi1QdeVjAUcM/yAmcIENlnTMIpGuYx3A9yx"
    "maBdzlCIB1dc+tGvYCVPkVAeK6yGDo8fvsaj9BMiRFacQF/5EH2Cp1GUmknjBXcVhTAxoN"
    "cuuvX4/z0N601hvN3ivCvRbRbWh++fOrZP3s3KAN9KDMHT1aCyKTUFlHkE2XKtEh8AuphK"
    "dckDY8idUxsSMPdcNgN7X2/PXwzBPfKZqOMMKzSniDLgQzYrV3+2cgdltacXkh9yELM4qk"
    "uusJ68CJWl9Io1SbNYoMoZ3l37rEJWOLOqTrSqD1nFxE1lTBy3XBwnbGsjCjMVMNmIp7MR"
    "kf1eMRsRUeA7Bm3dbEQ6o7qUjfgS7mWq3foid77SfYl2RbWa7oQBbYDn8SYNP1EQjQP2Pl"
    "/f3IKfqX3/c3RIs91F0wGezoJsafeKVQY1TlInnSSTBV9HBs2syO+IGwXtxss4MiI9TFu2"
    "kFSzLRexhUfuG6KckepfLWIr6eHlNoDf+u7vWwpll9kAHo39eUN4Y5GVse3YfK4H7UltaK"
    "fIsxgOCe26ViIr0z8bcVrDQpxq7cNpqVhZlt83qm7IiPQP3qM6Blhvfk0t+DpMRZcy6Yoq"
    "4Map9DapjRuOsq9nNrKnh1XEBpUXNuI1RiAcHSzQ3czz7sMtOYcAuxQR2UYDie03RSc5TA"
    "G/tYP5wT3sypQJ5Q/KbQF0KZTrb168BV68rSfANhcp8SBt3/CbG8t47hiBmbfgJwnwJgy5"
    "Q+CR5AifyuOAEC7oPA7jh+KQYrFUht++jW1V9AZZGfDtfqXZGr1hPXXRNNDrc5R3VMe34F"
    "fp47yjsn8RfsaaERkZIUNj7Ew2qGt+3ZpJObO93/Mpk8w1LPIY5r9jGb0XRM1uE8aHV/vw"
    "2doylRNfqD2r8OIzV9bfijBb8PQTjf3ZsG8C93aha4PswEMAqfSoHT5RKYuvDx3pcPQ77k"
    "PzK+bKzQpbvN0395t7yy8Va1y4H06RMwGUwUfKPXrwH7G4bF+c+g/YE378I3DwnAcLwngJ"
    "t/3FOz4KjxxEW2wqhBbcb5fhxFjEDqLj36qe/dZLNLqQrmxtqVkUxMZTSYl01U5bKum1cF"
    "z9DKtKwGdf2+XAV4xgFFBLATuxr5xcSrKhpYDHdbjcYz2Ze1xmc0POxxKNez3bQq5ihj/B"
    "6ipHMI5h1xzDnNZFPZ/DffhKvVe2HtQNYZoQNmhCKAwWUkZhVVxSVsrUFS/HJJneNnqF7C"
    "bxoTB8yXKgpQPiJyql47VW7dZJb9XRa6VKeiVqQa4GVFAK8SpBPZWQLEU0rVh6Ex+bVizt"
    "RmFoDrHTBOBEwGRva7W6gZQuPG4TZ5AqVuVV9LwpCvawcqmV4lEe1KhxvnSDeelLns96Rb"
    "IbpBceMFqE37UGeA+8BX+Ut0D+55sL7Tl23wL5n29uOOJbkBl568XThuvZzDYDvgPZxCNz"
    "S86FhiG/Ut7E+w3ifcxfPiacx3vkNjb4SuG+Mcnr710cwYa++5gHkksE/MoBDL/ZnTC/zG"
    "+GKrOtu8dmmcmSnKkaKhsxkZVWeFD6fviJQDd64Yvb9qYXvqnG18/73eQx6xRwbb3kYtuq"
    "NV0xdorv3VjZ2QgRPJ4NFOxwdGZYxQ/D9BpDEO/SuzysIIiX2CVm1d1huvZOb4BVU25rUN"
    "VO2u8puocHdbpJ86v0xM1Bac0wvyNT7kNetQlVIrJ5t3s7YeraHOyt1lD/+D8uxUFg"
)
