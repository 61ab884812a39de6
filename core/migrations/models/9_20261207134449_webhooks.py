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
    "eJztXW1z2ziS/isofRmnSvH4LY4vs7VVju3s+taJs7Fzs7c7WwwsQhLWFMkBQDuuufz3A8"
    "B3EqBISaQpGlVTNTGJBqkHYKP76Ubjj9HCs5FDd08nDD9g9nThMvI0egf+GLlwgfg/1A3G"
    "YAR9P70tLjB450gJGDW1HG8mW95RRvhFfm8KHYr4JRvRCcE+w54rJK5dBBYBgwy7M0DQ7w"
    "GiDHhTAF3gkRl0MYWiKdhhcwTi7gHv/hfgogdEALIxQzZgc+IFszkQzU4/X77aFY+3vQl/"
    "Pu+59ScFLuYdWsybIX6d8Of969/8MnZt9B1R8ecfoylGji3/PeIPtLAtEWIj0RB99wmilD"
    "+fxrLRKLiB4wiIn3yJ8Eg25qDKP36Mga7fiUR4/SeIhv69JR+Smx3hc+R1K5Z9j2eXLvsg"
    "2wr876yJ5wQLN23vP7G55yYC2GXi6gy5iECOLr/GSCDmiXiraFrFUycEOW0SopuRsdEUBg"
    "5LfxN/gfTayLI+Xd9aNxe3ljUqzcRYIjNloksTDhmHg78qlQDMxCu8/q+Dg8PDtwd7h8cn"
    "b47evn1zsnfC28r3Ld96+yN8mRStsCuJ2eVfLj/dihfy+KcSfkfiwg8pAxm00gFO0Q8oIp"
    "ZqCLT4ZySWD0IMeWYUIoyTQYibpKOQfuLdDcPB/tHbo5PD46ME/eRKFegxwAVA0QJip4zp"
    "2RySClATqQKu/HW3ENcF/G45yJ2xuQDzzZsKFP/n9MvZX0+/7PBWr/IT+FN06yC8l4c61U"
    "11YU4lVoK4pEB6hfHxUQ2Ij4+0CItbeYC5ovcCMkEhTA1wLgkOEO7DgxpwHx5o4Ra3NHCr"
    "9HENsJVKeQDKY/MTG/tNAA5bG1yX4yqXMcgxYY0Xv0RqeDi/2a+jKngrLdLyXh5qGzFuLd"
    "Ayzv99c/1JjXNGpACyjScM/B9wMN1CC64CW4GF6HlB6e9OFtKdj6f/KKJ9dnX9XmLjUTYj"
    "shfZwfui2aGY3OccLYYXSGN2qCa2HYnsxv/YxhWRIGhfu85TNCsqhuL28uPFze3px8+58T"
    "g/vb0Qdw7k1afC1Z3jwhglnYBfL2//CsSf4J/Xny6Kw5a0u/2n8G1HMGCe5XqPFrQzbl58"
    "NUYtN8qpC1zTL0oFVnKLeje0G/CLhM8/vVf6nRytMrYfPILwzP0bepIQX/IXgu5EZUBGlN"
    "J12MuWQfsjnjrx1XRKEviYUCSZGcV/Of+9iIUL6enN2en5RUip3MHJ/SMktpXDWdzxDrzC"
    "laRt+dbiYFG8Al2+JNvRjxCvHNN49g0TYM/UJF96d1zJ8NkWDRtiROtRfKcu4P39RAG0Ac"
    "duimcBCam2qUeA5yLgE2+KHQQomi24NQF2vAdECOb9CIJOEG10jn0f2SAaU6rg99p7jILc"
    "+5eEiN+L+hr9u0D3NaLNXgpntiZZo2fD4lFoYLxmRIyTW8PJpRn1UNdwzcqsZbmuBPboT9"
    "PAlcQRuAuww7BLd8Vj/zwaiEEbajmLKzGq5NO0aqUs2J3ps99rFZNxiX1h39tWc68hL2m8"
    "h754DzFGGfchevuMj+j7zbyHVMB4D8u9h8hoWtN7OA172TJo63oP6YzqlffgIMI/AYLy1m"
    "z5brX3INpZc77oe1EqQa0EgSkWyMpgPSCBg94ByMDCE/F7YdYjIq8C6NrgkY+u9wh2wlF/"
    "NQauxzD/jTZvOkHqrIDNdq/0FkQH4mYoz10oSFjmb+Ta63kQJvDeVeC9OIJly0A9CkW5Kr"
    "tge7WbCmexrheMq8y0bw5hJPWiAXyATqCI7H5wPKjRAolEAbepEBkYXtdf319dgM9fLs4u"
    "by4jxyuxMuVNSd387uBwbf1ycXpVANgn6AF7AbWaI10WXRHy7YnXbALxBaKU2x5lqG/Rdw"
    "3SGZFBcDhVjtTFP26rCYQE76vrT3+JmxdZhQKBMIeuixolPGVEBgF5njbbP65Bm+0X/dOU"
    "NhO38hDH9uEKPEJBdANEwvYolJ7zBuWwI2QMLXymiOvrqYOMSHfkwV671vnG+DdEiEeaLA"
    "aJwBASUbpeCabCd19BR2XlDNPZF41VJ0/CMJ2b1VeC4WkGaEbCILqcO44ptHXJY0FBfon6"
    "2jKE61LImZml5pALisBw8tvLycuprKPk43m+jJEXE6ZuNo9IrrGxDKvL/1CcPBNm3ywQh3"
    "xCxwAJ+kNMBXD3BCCgkzmyBY2+42MfOdhFdFc+XJnL09JDlm/TM3k7XebtyP+XYNWzD3H7"
    "AVIPrey0Cr+TJginEgPEePP0TqKmGnFoWSEDcw2Y2Zw7PnPPUejgCiI+J2XCHnVI+Im38C"
    "FBVhhqazapi5LdzWy+wDyNOpnaJzVm9ol2Yp+U1MeWEPAcYDq/87jF2g3MLSjqEDYrTH0s"
    "A65PYi1LmlTWav5xhVRWTC1ZckNhDb73PAdBV2NoZ+UK43LHBdsakNgI7xb699fXVzno31"
    "8Wud2vH99f8E/jVV7Tl+kqB1JmJd7TCsyvsgMTo+pzjEoOWfN8hryYyWWoY0YRtOJnlZc0"
    "IZW+fGB1Qipmy8DQRt1sGXj2sI8JT7QZnkhxziTlF+zvSPDD374gB2poK+U+gIGg/aPVGI"
    "6MzJSjN+F8rYjb+H69gI3+5ys3KkT7+33+4/gLW/K1zN5mEyPpBbHcSowkN9Ub4FyUM3jX"
    "w5va99Y9Uiw0FXv1U5HNoPy8CiOPcZ1iXgf6Yl4HpWJe08nC4m6kjVyGoarSlD6HUiFqsi"
    "lXyKbkMPrE+w+asIY1AcuSQ8C/A61iGBc9+tvpexvG5SWOeh3GxZR4a5VxMSXe2izxlmG2"
    "iqXU1uBdctXbBoJ5nmUtVo4wJNUysJKk3jWhGliyfN5sDPiEWlhRMbg10TqTnd2kheWGiF"
    "iSCbQmWOfZjKJBAoUe8GTdD/BcdjJUiNB3HxG8gS/vIuloqFBNHThbE6QP3M8NCPrAexoq"
    "SuGW+YkEYk20PmW6Gipcj+hu7nn3ayL1a9jLkEBqM+KXtxIUsb+SGaGPAirMl+U7uIQ9R4"
    "GofQzCNQpAxnG6Cxi/LIqcHe69tuFTcgbaL2CBFneIUCCM73CrFYKTOZhAZxKksyO3g6uN"
    "h/zm7uR/sBXJjMEjwYwhV0jNee+v479v/n4FsAvS3WBhBzFgZleYiXj2TCd1wJVn36wEsz"
    "44VBAbQmCi68CQ482abcdLBDrc63H66XzUyeQ+rDG1D/Ulyst78RxVxZiqLUvOcCrG5KGt"
    "UsAxtG+10L4tnXCmppL0m2YSgX7slRHPM3tlzF6Z8Up7ZUIDliMZqI6Y0Jp7RTFT40u5CS"
    "k28FffhVTqwWxD6k/0thy0N6ka+g9sO4P2JlXjJY56nVQNszlm/RXTbI5ZK1Wjn7W70vCn"
    "ggHOxUb17G8+FFundJd4ji29L1FP6xHbM8REFS1JtHoLP4gqaYlKW0nvKXuaLasVEqnpKy"
    "ireLX+PEPdGuq2NxqpA+o2+oSaUDEZEUPGbJyMMc7M0Mxa48y8xFE3zoxxZowzs6ozE2Yp"
    "qjyZJH+xwo1JEyU3vZs9mlLQtYmHbYGcOWWv3kf+zKfsZUasgTeRlxqgT7F/UKcAJW+lr4"
    "x4UCpCeUeg6hw+PcyJwPDi5u1UYRY6rwnAiYABuBbA8XevPQl9ucrQn4VuQNeAzk2RVQDP"
    "ixmwa4Et6gIw7x41StjLCQ0B6K7T9WTqhmq7YVVOWSIyBMQLU7vOxNZP6+KkxsKZc5wQoQ"
    "YYF+WGB/Tm618HFJE4bb4J1kW5DvNQXfTYFkvcNtoUUbHA0cY5Y2VBkzVWzBqDtvUI2WSu"
    "ykjVU3E5IQNqEVQ/IJM5pI0wzckYSHWQWgQ9IFdVdPscTfACOtXoZsWL8YJQfjfqZ9sAr0"
    "Dz/OLs8uPp1c7+yfi4kJ8bK+SjvZJHYq8IdV7wJYJ8UhvkZIU63GsSCimKGXWhX9YaQlsW"
    "NOBql7eG2JbkDLSlg2/RRGzFrTAgKrYJKWRNkko1j7FCksoUE8q4F4fc1Y74zgubpIW+JC"
    "3USVWRO2RWHPqirBn5bRp5k5r2EkfdpKYNbdRNappJTXv+oNuWpqZdPGiqLIU3xlWJaYIS"
    "qltU6dpFQLb/JVuL6Oz68/+K+kN3gXM/BtQDrgem4bQB9+iJgh1uXcndLws8I7LIkWIfzY"
    "b71mXKRaMnn6RKlftjlGKeaZ8xFoQA+u6TiOuJBydCPppe8Uchn/Wdwyr/kNos03+0eX6j"
    "jzC5fv3M9TNr19prl6JcRdNJnRMbErCdTO9MUVOpP5vmNOSlBpi6elznnJtj/Tk3x6Vzbk"
    "LIhFppQjnmpfpBNg7qKG9DO6wyFD13OMs8g6Du8cNK41wQNQPd64FO/IHSKH/9enlepWSV"
    "pkQQYHtXSA5rWMNiheE4ZUdA/lIFt/BM3nBaJ13lEueqqFf4xfmy7TUKT7jg9Of3IJV7B2"
    "wCpwy8/jMggetyzMGf+L99GFBki6uiOIRgEGxFVYk1OzMlI0zJiN5oFFPttx/qu5XtAw+Q"
    "YKg820LvnmRl+uGcDCoTgkHC1b61QPy1GhViLgkOUP1s3kWnDLJAMf8rjvpNJDrcaSDth7"
    "ameOt7DfjUXM3fzkuaoqm99sI4hKuMcVbOjHCfR9jwZnoVup2JGyZd5yWOuknXMek6z78k"
    "tpiukzu/0aMBWfeQy5R3vIg6HBDurZ4lp0CuktfN4luH37VyI1ynwnCYRfATBXLbAIjlAf"
    "MAdDOkLdjxXASI9wj85Ii4scxWihgQgBl4hBRASvlXi2xlfeGWn6bMlEI5ljzNmjCVxXqU"
    "jqGnm012zLNmx0TfWxNKKCNiSLc6eTFCC65GFuQkjUvRF5eijiOZWbQbeRYluSEpt7YcjL"
    "wNsKafMcjDy4vuRmma9WmTQPZkdIX9XDg4XW84T8OGVnJYex2LWTT+BaAH6AQwOg4jPfVC"
    "9rQb3xwDisgDbzMl3kKar9h97RNvgigFEzjhF7wpgD6WcvKCymru4IlV1XhFS+sePa1nMb"
    "8Uc7m1vItkGBqYYlkZY4vVsMVMcotJbnn+UFgbyS1SFTTd5ZATGuAc33x0H1MLueK3q/iK"
    "Jaf9ZgQ7PO43ubK15/0Sz3G8gFn+pEnpxoJUd27U/t62lAoyCXG9S4iLSrs2GpKsjBmSjQ"
    "9JeNJhXHSXu8uNBkctbYZp88MkK33jZgXPckJmUDY+KAvsWiseTKAQHYJf0LaHa9LW9NAP"
    "N9pg0taGNuombe3Zo0ombW1bq0x98hie4gmMfnUpgpS7P64KIbmZlrVDSH5A5yLniXoLGY"
    "8RcRr+iJ9olOpE+RXiBbM5+HD2cQz41w08AiAD3yhyhSr+lj1pPfcKyrSrVp/3m3vJKLgL"
    "K1qL3t/s7SX9OvhBhKDAt6yQFTXmvc6ha7+Oi2Td/P2q7inxmtpWIq1rvLGaVunepgiG7q"
    "pZmWjZmtEyhpnTiOpOBAZIc7cSyrnzbEUsUh/DidsPAt+uozdNqyaZekkxPhunLMKdxY1U"
    "SyIxiLnf/mFcjU89W/fAs15zQK0h3Mw3zAut5B/2DeahFHLsJ64dZ6pHFR+anuBXFDMHxh"
    "SB3Y6iEFutjt2VykGkYqZSQH9Y2DL5ftf49Ms7c/SlXh9F4Fi25yo8/GWYJmIG2JKiV1rd"
    "FQahWTHVQE4hViYAaqFMBQyYpfrchHikCdGUCAzBFeyaaIqD/HcKbk87ffNCA3JhNneepQ"
    "Ndd6X4e17SGHp9NvTEiriaIc/M+G7B+E6xi+l8pc+4IGrGuc/jbHLk9AvjdmZLmRy5lzjq"
    "JkfO5Mg9/5K4pTly10RZXEFcHldlxHmkZi0FPY7myId+JVOZXfHtplIJH78JvnH7DkuuTw"
    "lCo04Q3nx8Dfq4aeGMjMhmQH5e/ZAD+GivBsBHe1qAxS1l4oMm9F4j92F40feOkx+Mx6of"
    "kO30XXQea8nW1luHGQ04YfgBM4UKbFL39zTq5cJl5GkLZ4LOHi/6g2uWRx6Ws5KnSCj3Fd"
    "ZDh/sPX+NehgkRImtOoK+8iyHB07KXGk4ntauaTLVKf9VK5vXy3VsX4qhMCijzCLJleWre"
    "AXQxlYMqL0wgt7VsSMDCc9kc7Hy9PXs1BvfIZ6J0X1iUb4YoAz5k8/J+rVaeoCzw54W+vO"
    "zE1MPuk2Wn98XDwVIaeWr4E4Eq22571Y0KWWGbqQ4fV+nliombyhi3ZDW3ROjWRoxcKmDI"
    "9eXkeqS/1yTXI0Z3y6CtS66nM6pP5PoXoVsCJJd6lemSu19pvpCwpZUqq+U2zLWLALQBXs"
    "Q7mX+iIOoH7Hy+vrkFP1P7/ufokmJL+SodrLypO8NQbHBzd+YgkDU6NUZSL40kE9TdRECo"
    "Bzvbegpsx2YUjOAugV8RwEhFBhiFayFGZFsuYo8euW+IckZqCPnmHUQ7I6tA4cOiCV5ARw"
    "11RqroyIZiu5H4Fk7uKlf24uzy4+nVzv7J+KRQCDkbqis4uxN/0RDeWGRtbHs2n+tBe1wb"
    "2hnyLIaRYkOKXktkZYanI05qaIgTrX44KdWnlBVXGwXrMyLDg/egjgLWq19T/vPFZLA3iA"
    "y3SW3I6JWC0oijWnoqIwmdmdTBLfMUTergcxnTaAGx0wTgRGBweW3tpGZCSrl/Z1tzSBVh"
    "t4oczaLgAE2TVrxDT1e38cINFqWQRt5H9Lou4Th6wOgxXNca4D3yHvmrvAPyf7+50F5g9x"
    "2Q//vNDXt8BzI9Pzs7sh0lgMI0t61NU8bU8h3Iph5ZWHIuKMjWJSdIleXNQVINDpLC/ONj"
    "wni8R25jha8U3ojS79Eau/nzKCLY0Hcfc/9nBb9U2YHZX90377Q85qJeSLMoXUnOlBpR1E"
    "GcI5XLpa8VnAiYYsG5D2gjh04Zuu2F7MswaW8m7c2kvS3hhn9Fd3PPux8p6OH41riKIX4M"
    "G9U+aOXrlyvA5pABgiaIu4Y0c/RJmDA3BpTPGmSDR8zm8m70DN6CIq6EWfbok/j5ylNW2n"
    "2YIbYNsd0bLdQBDxiQRrR21HyI6O4d1Qmxi2Z6fOXNejsi9I6Cdj+EOQl1Ewc7C/1fHg59"
    "ndNUYhCzvsr+b6PSKaZWyhc3o1lTuQ7p1Xjx3Fp2VRQ5Doi2TERlceSc3GB2Y20uPxtT8T"
    "Nti/vUVHWMsl6LKESHEKnsWpskMDZnegqihrruM3XtQMqEP831P3laYbBV8mbE+zzihsLV"
    "L2PDpXBNMdihjbriYzfFYE0x2I6XxBaLwWa3a0r7AqvOnGpSiCji5M8jc2VAqLdak6gImz"
    "7akUV2adTDyg9rzW3+jKGFz8S57B7/M7Y8wY6IPlD+UuBbYo1i+xtvJGIVvEFGEDNdCYAN"
    "dt6wPECMSRvnvnd50LupCSDudVETIDMTmwQWCmKDoFrbzulDDw3Pb04EDLw14I20ZxMzNZ"
    "Uwdqo54nbZlG1rAwHHz25yZGdBymR7Kpj/gEgj3lo0OV+2IGWANcdOPm/4pDnNZui1ftFr"
    "dUjVvNNWU1flhYz5spxme0xTKdek2jJJmVsGcV26LT+7+pQre4oInsxHCvIoujOu4oxg2s"
    "YUU9im73pcQWE8IEKxKr1D76dkRAboqLSSeaqMUlQdFeQPFN39vTonBfFWekdwr1RAiz+R"
    "Kdkhfd5pRqT7xNPnMbI3lmL6rEWBfvw/q8DJJA=="
)
