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
    "eJztXW1z27qV/isYfYkzo/g6Tq6Tze10xnac1tskThNn223TYSARslBTIAuAdjx3898XAN"
    "9JgCYlkaZozOxsb0gcUH4OCJ7znBf8Pln5LvLY/vGc4xvM784Ip3eTN+D3CYErJP5DP2AK"
    "JjAIstvyAoczT0nAeKjj+Vdq5IxxKi6KewvoMSQuuYjNKQ449omUuCAIrEIOOSZXgKL/hI"
    "hx4C8AJMCnV5BgBuVQsMeXCCTTAzH9b4CgG0QBcjFHLuBL6odXSyCHHX86f7ovH+/6c/F8"
    "MXPnTwoJFhM63L9C4joVz/vnv8RlTFz0AzH5z98nC4w8V/33RDzQwa5CiE/kQPQjoIgx8X"
    "yWyMZaIKHnSYjvAoXwRA0WoKp//JwC07xzhfDmT5ADg2tHPaSwOqLnqOtOInuCr84Jf6fG"
    "Svxnztz3whXJxgd3fOmTVAATLq9eIYIoFOiKa5yGcp3IXxUvq2TpRCBnQyJ0czIuWsDQ49"
    "nfJH5Adm3iOB8vLp0vZ5eOM6msxEQit2TiS3MBmYBD/FSmALiSP+HZfx0evnjx6vDgxdHr"
    "X1++evXr64PXYqz6vdVbr35GPyZDK5pKYXb+p/OPl/IH+eJVid4jeeGnkoEcOpmCM/RDhq"
    "ijU4ER/5zE/UpIIM9pIcY4VUIyJNNC9or3p4bD5y9fvXz94uhlin56pQ70BOASoGgFsVfF"
    "9HQJaQ2oqVQJV/FzdxDXFfzheIhc8aUE89dfa1D8n+PPp38+/rwnRj0tLuCP8a3D6F4R6m"
    "xvagpzJrEWxJUNZFAYH71sAPHRSyPC8lYRYLHR+yGdowimFjhXBEcI94vDBnC/ODTCLW8Z"
    "4Nbtxw3A1m7KI9g8tr+wcdAG4Gi0xfV+XNVnDApMeOuPXyo1Ppx/fd5kqxCjjEire0WoXc"
    "SFtcCqOP/3l4uPepxzIiWQXTzn4P+Ah9kOWnA12Eos5Mwrxv7j5SHd+3D89zLap+8vThQ2"
    "PuNXVM2iJjgpmx2axf1WoMXxChnMDt3CdmOR/eQ/dvGLSBF0L4h3F6+KGlVcnn84+3J5/O"
    "FTQR9vjy/P5J1DdfWudHXvqKSjdBLwt/PLPwP5T/CPi49nZbWl4y7/IX3bCQy57xD/1oFu"
    "zs1LriaoFbScucAN/aJMYC23aHCq3YJfJH3+xbXW7xRoVbF951OEr8hf0J2C+Fz8IEjmOg"
    "MyppQuoll2DNqfydJJrmZLksLblCLJrSjxl4u/F/HoQ3r85fT47VlEqczg/PoWUtcp4Czv"
    "+Id+6Uo6tnprdbgqX4FEfJLd+I+QPzmh8dwvXIJ9pSf5srvTWobPdVg0ECPWjOI7JkDM94"
    "QB6AKB3QJfhTSi2hY+BT5BIKD+AnsIMHS1EtYE2PNvEKVYzCMJOkm0sSUOAuSCWKdMw+91"
    "9xgNufdPBZG4F881+VeJ7mtFmz0WzmxDssbMhiVaaGG85kSsk9vAyWW57aGp4ZqX2chyXQ"
    "vsyR8WIVHEEZiF2OOYsH352D9ORmLQRrucIzYxpuXTjNtKVbA/0+f5oLeYnEscSPveddp7"
    "DUVJ6z0MxXtIMMq5D/Gvz/mIQdDOe8gErPdwv/cQG00beg/H0Sw7Bm1T7yFbUYPyHrDQC7"
    "5a8onOeUhv1vsO2MHRuLaegyfUzDhIpMEeJP4KesIFmQIXYu8OsHC1gvRuCm4Ruhb/pijw"
    "KX86Fa7AKghl3D4ap1wBYd+LP9St8SE6fOD9qQLWd+jTd3ChxqaVX3gDGQu15mz+s767m5"
    "MOQflZLtlGAbzzfKhZjGZXICfSvycwIhI72V3WsEtLotYwtYZpC9Xu/DegYpa2MaTuMWEv"
    "CLr0xf/r1oB9UBV0Yr5uaJJ+ZVAtDI1BGt26zxwN01H32qKX/jUiDLBAMscBooWk0Sn4en"
    "kqDL47IKw8oJ4F9gIcIA8TxPYh3p8L21EIzv1Q4AlkPukdmEPP0xDZnT5Jy2XHQZ3YtFGT"
    "bkZo2zxQea+PPFBrvba2XqP1XQHNHCpIBUYYKHh++LpBpECMMoYK1L1yQpzKrtckuRh3hb"
    "xIf0zawYDtlULeGxGWu9i05Yeh5W5bkhwNtr3su7m8h5Cvq4KKqNXBmjqwqT0b7yo2tWeM"
    "qT0eouIVoKhomVfvTmv9ITnOWWLG/bjOr1H13gJLZFUlHaChh94AyIVjIovrZM6N8F/kVe"
    "Wu3Art+rdgL9L60ykgPsfib3TF0DnSl+xtd3qt+yMnkDcjeUescMpz/0bEtd7QkL4IZm+o"
    "rMGmblFZ7lH7R7ll3x7CWOpRA3gDvVBTdvXO86FhF0glSrgtpMjI8Lr4evL+DHz6fHZ6/u"
    "U8jpCkTLu6KS+JCzj6tn4+O35fjj9RdIP9kDntka6Krgn57hRTbAPxFWIJVVqE+hL9MCCd"
    "ExkFb1IXTDr7+2V9pC/F+/3Fxz8lw8vhv1KkbwkJaUdU5URGAXmJqjpqwlSVY3Q5ouqozF"
    "Ml9uEawdSS6BaCqbuzoQw8dlqtCYKco1XQio/Mi4yGr9kaH4ko9Wmbj0EqMIYq0b6/BAvp"
    "u6+xR+XlbLbHUHasJkWMD57t8dCq3fJ+JRmedoDmJCyi93PHCYW2aWa3pCA/x3PtGMJNKe"
    "TcytJzyKWNYBuw2oT5h+Hk1VI2UfLJOr+PkZcLpmnCvKx8dbGqeVP/h5LK1iitfYUE5HM2"
    "BUjSH3IpgNkdgIDNl8iVNHo+lUg+XFto29FDbGL8sBLj1f9WYDWzD8n4EVIPnbRBi96TNg"
    "hnEiPEePv0TrpNteLQ8kIW5gYw86VwfJa+p9mDa4j4gpQNezQh4WUBB6TIiUJt7RZ1WbK/"
    "lZ3knHa/tJtkMprzGCtZjLtCwAuA2XLmC4u1H5g72Kgj2JyoL0EVcHNZWVXS9pmo5x/XqD"
    "nDzFH9sDXW4InvewgSg6GdlyvpZSYEu1JIYoT3C/3JxcX7AvQn52Vu9+uHkzPxajwt7vRV"
    "usqDjDup97QG86udwMaohhyjUiprn89QFLO5DE3MKIrWfK2KkjakMpQXrElIxfbzGZvWNd"
    "vq8MqmH1q1tp/P7oYnMpxzSfkl+zsWfPeXz8iDBtpKWwcwErR/dhrDUZGZavQmWq81cZsg"
    "aBawMf/5dXXagfjjxA921M+yjUdtjGQQxHInMZLCUm+Bc1nO4t0Mb+ZeO9dI86GpaaSbiW"
    "wH5YfdMIoYNzlp49B80sZh5aSNxXzlCDfSRYRjqDsGwpxDqRG12ZRrZFMKGAPq/xvNecsD"
    "e6qSY8C/h13FMi5m9HfT97aMy2PUehPGxTZp6JRxsU0aumzSkGO2yuecbMC7FI5WGQnmRZ"
    "a13DnCklT3gZUm9W4I1ciS5YtmYygW1MqJT2rZEK1TNdmX7NSXMSKWZgJtCNbbfEbRKIFC"
    "N3i+6Qv4Vk0yVojQjwBRvIU37yydaKxQLTx4tSFI74SfG1L0Tsw0VpSikvm5AmJDtD7mph"
    "orXBA70ZkSG2L1WU0yVpRu0Wzp+9cbYvS3aJYxgdQqLlpYdTg7y0WPaNLtvIGJmj8YZrdo"
    "0VpgW8SQTzz/6pPPpHglkJzem9ZFk2dilCNZmsZFgIFqjxfV5AVCRwufrp4wICd6Az5Aeu"
    "36twRABm4p5hyRqWqfpw7AhARzzJAL/nz54T2gSIAvfDGwoP4KYK4rBuz2YfcXBf4+yTQx"
    "YVx8RqPQSDjzMFtGLKIUEfYMRYypj088S6yOeAEka3eiBguQ1T9+2oB6nwF1jrmuktwclE"
    "kFbIi3YYjXCzUUYk18Nx4/uuDu88ODJoUshwc1rc8PyuiiH3NEA83Hs6Y3TibSY9HQpNvv"
    "Zm/h3JnvaihHM9rJ+FFsF32DveQrTT2cGexkvAV7DbAzW6bxVp1ZPz1WH1K44F3tJl1XHh"
    "asxArS9VHqsqytrxpOWLqajSBuLn3ashggL7NWdHpgCt12Xy2b2GOGejdTPGxiz2PUuimx"
    "p5KI8jC9tE7F/xyLlcA/h2Si4dEK96d1XNpcXIJypEND0pBPk6dQeELB8ihnhuYhxfzuGZ"
    "tDAv7tzxLmS04M1MwRv3W7hBxgDhZ+qDtoektztmTHrnHUnV980CwjNqxvqpkRS5TW1AlI"
    "xo/C5+ra/hdvW8sk8ExiK8nfA+LDjpoUOxyZix2OKsUOO+LBik8BkTDt6BpWp9asZY4VJa"
    "05NhRzrIkRvsBkXeKiJGp5i+FY3VU9+wEijjrMuYVtVRSy5xeUeQuCbltjWpCxkJYhXWDx"
    "F7QGtSRlYS3DysLVCuqS6s098XIithlefVRmjWZ49uiTrmNgAyKd3gmYIzi0nFNye9qMcl"
    "pEw5uncVFfzLECEHDf90CUDYrcKbgmKqVqTn3GgCSyZIN1zBkQT7hCNKCSWdqTJSZTEEC+"
    "lCeh0hX0VK6V/D3aru5dP25Nsip2CXsjrOxprfJeH6e15pZPG46gJDa6vKTt8zCWQuyy/X"
    "ncybZxwmI83oLbAFz9uUJmcJPxIwS3A3oW3SAZeGpF0OZkRghyBxlGwiBqA3AyfoTg/vr8"
    "sAG6YpQRXnWv1CsbE80OYbTgkuGWaSgzDfaI5/4zPAkOAtQqWTwnYpPFx5pSK+n7fqKRWz"
    "4yZYEp4w5DiKx3XG1ReIQByTFFptTRA2vquixrVT1oVUdhmnVe6R82zLwjGpabLw1Juwz5"
    "spht4WY6zqc1tCUpi6wx6LzGqi2K2dIOQ9/Bh4q8kRtEGYwh0ITecventY34sWzgkA5ufo"
    "qyzLS+xXwZHWvMGJYdFflvAMH5EsyQ55MrBrivDj8OGaIyZVsdhEyvIMHR07QnJ29t4pbR"
    "NDlXvNpzRRg2C3xIr9+0JlZm+yLYJtU2jbad4Wtr2R6j1k21bLZJdXd2eM66aAhoTsIiat"
    "t+99H2u7xgtwDo13iakSKae0nX76QeBwk3bd+cc+M+ZGHHkQDf6Sl2Ouju8apzCNc613nd"
    "Niukjmdmz44/nYNYXPq4EOQd9TeA+h5SRc/iMkeEy36C82s2lY0Emfy38JGlC61+l76+ur"
    "tHtfS984+LX6c+K7BtQqu810dCq1xJbXz0ZPwIXfTtJ1LFb2cVX3MlTE6k/0qYhwk8dVLz"
    "wv1rpGvZbdxWMgGbZ2V7Jo2dcWjCM2lsgIbvkkbSesz3e8zzUpBoQ0+vHHPaMbCbenyaxd"
    "bW8+vUlSkc4qNzYsqn/NTU5VVPF7rfhZHHLTHgC4xAdIQMgFwgPwu5uCx9iBcHz1x4B8Qk"
    "+Abzu9+E47GaCUSBPBsLubJyToX65tCbh5nTW3BeunjIN7JX/IOdWGaa9GWXUksx+7Pk31"
    "/++h5gAgIcIJk1zfajCRLAmhb12Thhn3FCeyB5t1HC/C+rwGxO2y6J2VLw9rnbnn+F522W"
    "dirQY+b28ce3k14W94sGS/uFcWG/qDrXnq6rgRncVGAMS7kIbd0GnED7ygjtK10Jo8Z3Nr"
    "MWqcAwunfI542mewdmjrKaNN/IE9/3ECQG8yMvV9LLLC7o7UIhiWnSL/QnFxfvC9CfnJc3"
    "6K8fTs4+7z1XehCDMC9QpOWDFlv3BSqLWRpJm1ScGPhr0Un6GWya/nDyVjQ0kiUPHyF5aJ"
    "PUxqb1JklqMAhaHleRCliC+H6CWDKDFWxb88LH0Sw7Bm1TOjhbUUNigbPTyTUMcOHocjP7"
    "WzwpvUlNiHyOq7wvmURyi90rxNk0Jlr9VRDyiHmVqSLp7Bl7CvbKRGr2E7Tt2Dp/nqVuLX"
    "U7mB2pB+o2foXaUDE5EUvGbJ2Msc7M2Mxa68w8Rq1bZ8Y6M9aZWdeZUUz3ROfJRHfq3Rg1"
    "ppkPYwZU4wn8M1lSkLjUx65E7l+buAc2C13e6yMLPaexFt5EUWqEPsXzwybNzsSomuPeKw"
    "3PZhS2a62cCowvbt6J06b2vDYApwIW4EYAJ++9TPvUJjXdv2XkRC3ozUAXpsg6gBfFLNiN"
    "wF7MV44qSKlCbU7YKwiNAei+0/VU6obu4KK6nLJUZAyIl5Z2k4VtXtblRY2lM+d5EUItMC"
    "7LjQ/o7VceqjJ4ltUUNMW6LNdjHipBt12xxJ0fZxoXRLfOGasK2qyxctYYdJ1byOdLXUaq"
    "mYorCFlQy6AGIZ0vIWuFaUHGQmqC1KHoBpFQ84l7i+Z4Bb16dPPi5XhBJL8fz7NrgNeg+f"
    "bs9PzD8fu956+nR6X83GRDfnlQ8UjcNaEuCj5GkF83Bjn9Qr04aBMKKYvZ7cL8WWsJbVXQ"
    "gmv8vLXEtiJnoS1DS9FcluLWGBA1ZUIaWZukUs9jrJGkYo80GWfSQpNUFXvCyWPVvE1Ne4"
    "xat6lpY9O6TU2zqWkPH3Tb0dS0sxtDl6XoxrQuMU1SQk2bKslmrWr8b/leRKcXn/5X9h+a"
    "hd71FDAfEB8somUDrtEdA3vCuooas+Irqpocaepotjy3KVMu1p56ki5VrtAPNhufMxakwL"
    "rtYOVulps/Lp7f6iNsrt8wc/3st2vjb5emXUXbRV0QGxOwvSzvDP5o/2yb01CUGmHq6tHL"
    "BkH2o5fGILu8pQNabittKMei1DDIRvnY0ZCNlnZYRxUDdzirPIOk7vHNWnouiVpFD1rRqT"
    "9Q0fLXr+dv6zZZrSkRhtjdl5LjUmvUrDDSU14D6i8dzKmkZz8CRLGp8XDu7rTWL07HNW08"
    "QcDxLycgk3sDXAoXHDz7I6AhIQJz8Afx3wEMGXLlVdkcQjIIrqarxIaT2ZYRtmXEYHYU2+"
    "13GNt3J+UDN5BiSNp168jLDMM5GVUmBIdUbPvOComf1aoRc0VwhNvP9l10xiEPNevfjHMm"
    "0WOlgbIfulrindcaiKW5nr9dlLRNUwfthQkI19FxXs5qeMgatryZeQvdzcQNm67zGLVu03"
    "Vsus7DfxI7TNfJGSU/xHsR0k3Pxc54x7N4whHh3umx2BrkanndPL5N+F2noOEmHYajLIIn"
    "DKiyAZDIy/OnIcmRtmDPJwhQ/xYE6RFxU5WtFDMgAHNwCxmAjIm3Frna/sIdP02bKYUKLH"
    "mWNWE7iw0oHcNMN9vsmAfNjonftzaUUE7Ekm5N8mLkLrgeWVCQtC7FUFyKJo5k7qPdyrOo"
    "yI1pc+vKwSjaABv6GcWw+44B3dTdqCyzIRUJvEOQC7PxnQevdPZz/nat4byIBjoLMbKxxS"
    "wH/wbQDfRCGB+HkZ16oWbaT25OAUP0RoxZUH+lzFdMngXUnyPGwBzOxQV/AWCAlZy6oLOa"
    "e3hiXTdeOdK5RnebWcyPxVzuLO8iVUMLUywvY22xBraYTW6xyS0PHwrrIrlFbQVtqxwKQi"
    "Nc49uP7mPmICL/dh1fcc9pvznBHo/7Ta/s7Hm/1Pc8P+ROMG/TurEk1Z8b9fxgV1oF2YS4"
    "wSXExa1dW6kkL2NVsnWVRCcdJk13hbvcSjl6aaum7atJdfrG7RqeFYSsUraulBUmzpoHE2"
    "hEx+AXdO3h2rQ1M/TjjTbYtLWxad2mrT14VMmmre1ql6mPPscLPIfxX12JIBXuT+tCSCQ3"
    "snEIKQjZUuY8MX+l4jEyTiMe8YTFqU5MXKF+eLUE704/TIF4u4FPAeTgO0NEbsXf8yetF3"
    "6CNu2q0+d9I+ecgVnU0VrO/uvBQTqvh29kCAp8zws58WAx6xIS91nSJOvLX983PSXe0NtK"
    "pnVNt9bTKqttimHor5uVjZZtGC3jmHutqO5UYIQ0dyehnJnvamKR5hhOMn4U+PYdvWnbNc"
    "n2S0rw2TplEVUWt9paUolRrP3uD+NqferZpgeeDZoD6gzhdr5hUWgt/3BoMI+lkeMwce05"
    "Uz3u+ND2BL+ymD0wpgzsbjSF2OntmKzVDiITs50ChsPCVsn3WevTL2f26EvzfhSD47g+0X"
    "j492GaillgKxu91uquMQjtF1MP5AJibQKgEcpMwIJZ6c9NqU/bEE2pwBhcwb6JpiTIP9Nw"
    "e8blWxQakQuzvfMsPUjIWvH3oqQ19IZs6Mkv4nqGPLf63QH9LjDBbLnWa1wStXoesp5tjp"
    "z5w7ib2VI2R+4xat3myNkcuYf/JO5ojtwF1TZXkJendRlxPm3YS8GMoz3yYVjJVLYqvttU"
    "Kunjt8E3Gd9jy/UFRWjSC8Lbj6/BALdtnJET2Q7ID7s/FAB+edAA4JcHRoDlLW3igyH03i"
    "D3YXzR956TH6zHalbIbvouJo+1YmubrcPcDjjn+AZzzRbYpu/vcTzLGeH0bgdXgskeL34s"
    "sBMyYRFvCBX+mkwySpCCYMMe0uPy6MorSAyQZclZVdD6QJ3mphorYlt44YRbOuo3LmRiEW"
    "wG0VcxxZjgaUV+5IJ04aymB1kC6AVBl774f/fD+qU0306GbfTotmOLovdPTxml72Ytb5R9"
    "ee+vojyTR9YywLhPkavaxIsJIMHRTqkuzKHweVxIwconfAn2vl6ePp2CaxRw2UIzao55hR"
    "gHAeTLat1kJ0/QNtr0I05NTWL70g/JwzJzYpGyKgqQzpYe/lSgzsfa3f1Zh6z0kcrZXDf6"
    "7lV1CzeTsfTAevSA3FtbMeOZgA1y3R/kivfvDYNccWRlx6BtGuTKVtSQglyfUeBTrjNa4j"
    "u1Jovw9Kga1rjzQ6pcEAmqbtxENmMAe58uvlyCXyD+JZ4zsSQgcVXFrvZw9W3MuHa7hRx3"
    "aDsjDGmvqjNcFDQVWGuql+9s+99p01CTbTvRdaxUPJFr61TMBQE5kVGgbJtPDAv0TtpMEE"
    "gFOvgGOcwP6bxl/kVVdhQrv+vtOytkaecuVeRsDYyNUT/eGLXNr7X5tQOiHoaZX/tZ0poh"
    "UlGGiZaAyN2f1tEQNBrpZDzp/VTEBUEAugCvEpf9CQPxPAlvwNzrX+JLmq6S60zw0ERDqb"
    "9j7izgDSa18ZlBxmfsd2e71ps9h/lBIzgwhrsCfk0OcyZinb8maeKuQxC/9el1S5RzUmNo"
    "OdEDiRdbBRo/EM3xCnp6qHNSZR8wEtuPxXdwcddF0c9Ozz8cv997/nr6unQWWj5bvxRnnw"
    "erlvAmIhtjO7D13Azao8bQXiHf4RhpetKYd4m8zPj2iNcNdojXxv3hdZXiD5MM86b45kTG"
    "B+9hkw3YvP3aE4C2ElkZEO+WYLJJcUiX1MYXgXJgZjbyt6d1xAZTA1vxGscgmh3cotnS96"
    "+BEp4CTBii6vB0tPApApgDzGSWhIfFxT1MVLYmEz9U7AWQMKhamD99A3yCojkAdoVIhQfp"
    "+oHfSCLjkzkCS/9W3KTAX3BEpvKYjuSKWMrzkFIh6N1Nkx8lIMWyfEA8viED04rOMG/IWo"
    "dv92snt2gN2wyNJl7eYRPbQowy+3mHVfsi+oy1IzJyQpbG2JlE1KHZdVsm5SiaI7G/r2PL"
    "lURHaMyNOKganaa1lt5LorYRnbXh9TZ8vqxNZ8SXyt5qrPjcyKZWPCnUWj1hiT0bnZYtrF"
    "2ZwpyfeAogUxa1JxYq48n4yJCOZp8JG1qMWGmyqDt93DfyjVyKobJri7DDGfIWgHF4x4RF"
    "D77Ldkn78tZ3sCft+Dvg4ZVwFuTmJc32p7+JWYTnQP1b4S0IoVthtyt3Yi59hwX1V5ta9g"
    "9eHTKEcGVn+daxE5ssJS3SdUdp6KS3wnGN062qAJ9/bdcDXzODVUAjBezCwTFRc5Semlu9"
    "aMLlvjCTuS+qbG7E+TgBoth3HUQ0K/weVlc7gzUMh2YYFrQu8/k8YcPX6v3E9z0EiUHthi"
    "lKip+JObp69dIr/Wr75OLifUHRJ+flKoivH07OPu89L8UE9WdjIa0XVscl5aVsSfN6TJLt"
    "1mxWyG4SH5qNL+1EsrZDfE+RdtLmpWGe9Jol2g9q6HVSoL0RtaAaEWkohaRBkZlKSLsg2e"
    "bCo/GPbXPhbr0wtILYawNwKmCjt42aN0PGbn2xJy4h0zQEquniXBYcYeZSJ8mjvqnE/oyE"
    "q8qXvBj18vuutp/cYHQbfdda4D3xb8VPeQPU/3wj0F1h8gao//lGohnfgNzMD548bbmeHk"
    "DGzAk8yBc+XTlqLbR0+bXy1t9v4e9j8fJxaTxeI9J6w9cKj41JPnrZYNUfvTSuenlLizn6"
    "EWDhSK7h8GsnsPzmcNz8Kr8Zqax9I4aKnM0aqm5iMiqtsaDMDV1Sgf47ukz+sAiJSo0Fsx"
    "B7HBO2Lx/7x66+4X33ebHZ+OZ1v5s8ZpMErgdPuXho1dqGnDvF95q6j9ijDrbdqL4ll/63"
    "qOpkoqHTk1vTOkY9rlppXF3z9fN7wJdQ5qep/OEoC07M/4RF2W9sCph4y5ALbjFfqrvxM8"
    "QIhsRHi4O9AAfIwwSx/eT5mg4jXT/MBgJsIGAwm0cPvGlIW4UB4uFjRPfgZZOqIjnMjK+6"
    "2ay3vdmxMna2fyDPSj5vNJ5VtP9X1WFuFJtJjGLV1/lLXfSJxczJ+PV2tHQm1yMdnXw8d5"
    "aNXkDshdR48KbRIqnIjSYJbXvtrjCTf6brUASZ7qAo8y6iER1DZLfv3SSFsT0zVhK1VP+Q"
    "qX4PMu7EfQru1lC2Tt5qfMgat5S3+TM2XsrbJmyPTeumhG3b/tu2/x5QoGP99t/57rfKvs"
    "BowxBHzMm/jc2VEaHeR5Qjhc0c7cgje2/UwymqtWHXdM7RKlDnrMlWXYnlCfbSfl7fU2sU"
    "u99lkX9U158TxNzUUX2Lk7fstp5gEr0qGzZFL3Va7/OAONtiXd7ro8V6biW2CSyUxEZBtX"
    "adA4lutGee1RRx3IzpxLOu4Y13zzZmaiZh7VRDYfTw6wF6W7JdFVwI/FxNuKW28jwnZbNj"
    "Ncx/SJUR76w0y9d8zkVRygJbBRZR6muappsDKamADZ+0D5+0p9ksvTYseq0JqVp02hruVU"
    "Uha77cT7PdZqmUG1JtuaTMHYO4Kd1WXF1DOnHvGFE8X0405FF8Z1rHGcFsjG0+sUvv9bSG"
    "wpD55liX3mH2U3IiI3RUOsk81UYpao7UioaPEN3nBwdN/MCDA7MjeFA5jyh3vH3TvNOciD"
    "2kvWWKacVM6PNj9vP/ARQq0Is="
)
