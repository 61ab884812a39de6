from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True


async def upgrade(db: BaseDBAsyncClient) -> str:
    return """
        DROP INDEX IF EXISTS "idx_devices_app_id_959b17";
        -- Room on each page for the ingest path's frequent device updates (HOT updates).
        ALTER TABLE "devices" SET (fillfactor = 80);
        ALTER TABLE "device_days" SET (fillfactor = 80);"""


async def downgrade(db: BaseDBAsyncClient) -> str:
    return """
        CREATE INDEX IF NOT EXISTS "idx_devices_app_id_959b17" ON "devices" ("app_id", "last_seen_at");
        ALTER TABLE "devices" RESET (fillfactor);
        ALTER TABLE "device_days" RESET (fillfactor);"""


MODELS_STATE = (
    "eJztXftT4zgS/ldU+WWZKo6FwDDc7NVVBcjssjtDpoZwt7ePcglbSXTxa2WFR83xv58kv2"
    "3J2HnhePQTIKll87Us99fdan/tOZ6F7OBgYFJ8j+nT0KXkqfcefO250EHsF/mAfdCDvp92"
    "8wYK72whAaOhhu1Nxci7gBLWyPom0A4Qa7JQYBLsU+y5XGLkIuAsKKTYnQKC/lqggAJvAq"
    "ALPDKFLg4gHwr26AyBeHrApv8BuOgeEYAsTJEF6Ix4i+kM8GGDz1dvDvjlLc9k12czb/xK"
    "CxezCQ3qTRFrJ+x6v//JmrFroUcU8D+/9iYY2Zb4vccuaGBLIER7fCB69AkKAnb9IJaNtO"
    "AubJtD/OQLhHtiMANV/PG8D1TzmgLh1a/AB/pzQ1wktzrC64h2I5Y9x9Mrl34QYzn+d4bp"
    "2QvHTcf7T3TmuYkAdilvnSIXEcjQZW2ULPg64XcVLat46YQgp0NCdDMyFprAhU3T/4ndQN"
    "rWM4zr0di4GY4No1daibFEZslETSaDjMHBbjUQAEz5Lfzt7/3+8fG7/uHx6dnbk3fv3p4d"
    "nrGx4n7LXe+ew5tJ0QqnEphd/Xh1PeY35LFHJXyOeMOzkIEUGqmCU/QXASKGTAVK/DMSLy"
    "shhjyjhQjjRAnxkFQL6SO+PTX0j07enZwdn54k6CctVaDHABcARQ7EdhnTixkkFaAmUgVc"
    "2e3uIK4OfDRs5E7pjIP59m0Fiv8afLn4afBlj416k1/A11FXP+zLQ53uTXVhTiWWgri0gb"
    "QK49OTGhCfnigR5l15gNlG7y2IiUKYGuBcEuwg3Mf9GnAf95Vw8y4F3LL9uAbY0k25A5vH"
    "+hc29psAHI7WuL6Mq3iNQYYJbfzyS6S6h/PbozpbBRulRFr05aG2EGXWQlDG+eeb0bUc54"
    "xIAWQLmxT8D9g42EELrgJbjgWf2QmCv+wspHufBr8W0b74ODoX2HgBnRIxi5jgvGh2SBb3"
    "JUOLYgcpzA7ZwrYikYP4l118IxIErZFrP0WrokIV46tPw5vx4NPnnD4uB+Mh7+mL1qdC69"
    "5pQUfJJODfV+OfAP8T/Da6HhbVlowb/8a5bQ8uqGe43oMBrQzNi1tj1HJaTilwTV6UCixF"
    "i1qn2jXwIs75J3Mp72RolbH94BGEp+4v6ElAfMVuCLqmzICMXEqjcJYdg/Y5Xjpxa7okCX"
    "xIXCSZFcX+c/b/Ihq+SAc3F4PLYehSuYPm/AESy8jhzHu8vldoScaWu5y+U2yBLnslW9E/"
    "wW85duNZN5SDPZU7+dLe/UoPn2UE4UCMgnouvoEL2HzfBQBagGE3wdMFCV1tE48Az0XAJ9"
    "4E2wgEaOowawLsefeIEMzm4Q467mgLZtj3kQUinQYS/97mLiNx7v0uIGJ90Vy9PwvuvkZu"
    "s2/FZ7ais0btDYu10MB4zYhokluD5AaZ7aGu4ZqVWclyXQrs3j8mC1c4jsDdAtsUu8EBv+"
    "w/ex0xaMNdzmCbWCD1pym3lbLg9kyfo1ZvMRlK7HP73jKas4a8pGYPbWEPMUYZ+hDdfYYj"
    "+n4z9pAKaPbwMnuIjKYV2cMgnGXHoK3LHtIV1Sr2IBhBmTaEqqjgC75fjyaocZSa3xEP9d"
    "k/x27YELelbfDXtMHFzwYGeDy+g9b3RqKmuaXeAOeinMa7Ht6BNTfmSMJ3KjhlKrIelF93"
    "w8hjXCfo1FcHnfqloNPEdAyTIIuxcAxlEZExelTsyRLRLoSfqgzp4a/jagKZ2NEfR9c/xs"
    "OLrLKsAZ94/0UmbRi7Lkt2Af8t7Cps1S5JK/OSmla2hVbWCUppZ0LXtF7HmaBDkToUuVlL"
    "YYOhyIzTphjyK+R8R+IffvmCbKjI05RGGTuCeSG95x6bq8J0KSbpEkSbdE1FaEm8UymOag"
    "dVRmHr9lFF3k7oWsTDFn8OV/JQ6cMVvG8bhysyGitpoSJJPSfVQTfLUf+sBiFio5SESPTl"
    "CdEdYbg1gTkR0IyzFuMUe14TgBMBDXC94yzRc6+Mw7+8Zagj8Rp0Bei+vxTgeTENdi2wub"
    "ePenMkgbraR5sIdQHobXtnTW8Rn7iuu7wzIl1AvLC06yxs9bIunSXirgHbbnxGrijXPaCP"
    "TuuYeUXHWsbKO5WeL1oiSbMotz2juueih96Ooh1E5/wNsR008D+WBbfnhzzcFNhrzguElv"
    "EAqTmT+XjUWWI5IQ1qEVR/QcwZDBphmpPRkKogNQi6R+5C8oq7RCZ2oF2Nbla8GH0K5Q+i"
    "eXYN8Ao0L4cXV58GH/eOzvbDfZfZbjj0nMcb8slhiZFYS0KdF/wWQT6rDXLyhjo+bBJYK4"
    "rp7UL9WmsIbVlQg6t8vTXEtiSnoS1CS5DJuIFRYUCojyfJZNtxTIlfrzPHlCaYBJSxOOQu"
    "kf9SEtYpMG1JgamT+GTD5VVflNWa3yXN60THb1HrOtGxa1qvk+ioT02ubtTqU5MrJTq289"
    "Tk8B6JOy5lpoUd+1WJadwlRGuWWOG1jcX4H8ADwZQixiWewMXo838A5rTCnu+DwAOux2uh"
    "8GUD5ugpAHvMuhJ1Txw8DWulKOomr3FuVaZcpD1xJVmqXK7OcTo+YyxwgTXVUQ6TAtd7CZ"
    "3r185cP/3uWvndVU6AlkJatahzYl0CdivLO4U/3D+b5jTkpTqYurr+kqkhZHxbaeJyzEu1"
    "w9nYrZpI2u2wTP5auwln2c/AXff4fik9F0S1olut6IQPlLR8e3t1WbXJSk2JxQJbB1yyW2"
    "oNy/mFespqQPynEt/C67BhftRSwoWjE5hqJuyR6QbOZ+liQbpYUBtM080UC7Jho3MR8fgt"
    "JthOCEKbsjo3nWELfdy0NlBGpHO1gU4OawDMk7kUAJfzvCJ3gCKBuYYjoXsZzFt2JGgipV"
    "bIbkbyVPHbBtZh/hte/AOJkoezST2I4qcld2wl1CoJEZfAXAGmToXuCieDGFdYDR3GH27j"
    "WboJESIrLqBbNkWX4NkwSw2Xk5yqJkutkq8aybp+OXgrYsEBCKhHkAV8RPLfo+UNJmS2lg"
    "UJcDyXzsDe7fjizT6YI5/yWCyPsjIY+fdsfUhn5RDuRq5QVZZXTKKrnbTJslNz8VBZUiNP"
    "Dn8iUGXb7e52Iz2swmwzWQBIti9XLNxURtOS5WiJrqm3umOuItVM19Tb1c97fQmPECozzn"
    "L9leZLdBjRaJqABi2AnTg36rsARPOAvc+jmzH4PrDm30dNiiyzphO87NR/paQxnSa2o+8Z"
    "nSam08S+iTQxaDXOEcuIdDAKt4EYkWW4iD54ZN4Q5YxU92oLbSTauVzdhVcvuvBKVHaZug"
    "vI9J2G8MYiK2PbsvW87rohU+QZFIf+2bq7RFame3tEnSqz6hqzpQqzuo7eRuvo6UDxMltF"
    "mwLDykTMluQNiuiVxKURR7XUrowkdKZTB3eMKerUwdcyppEDcaN64YlA5/LaNvQdxyBg/M"
    "4yZjCQhN2qPuRYEOygabIRdujZig1j6C6cUkgjzxEj2S3mxd5j9BC+1xrg3fMe2K28B+LH"
    "Hy60HOy+B+LHH24443uQmfnVvSMMb7qQRE8rPq6ZSGxRGSLNbWfTlHFg+DakE484hlgLEm"
    "erx1Y4dBUmiUy+gP4dm2BT8Cct27XNz0ejjzmz/PyqWK799tP5kCmjQPLLflbMHj6Kwjr4"
    "jTd8qfBaNv0WvWPXfzI3gg09+pjxnyV4qXSCNdDTlr16d52dlnVuGXdPzaJ0JbmlYkotU+"
    "y6Y3WM9sool/qUeyKgD7jnHiB9wF2fyyhvcHXq6um0t9W3NJ321sG0twEi2Jz1JN7hqGe/"
    "yj8M0zHaQbxLz/J+hYN4ic/CrfpJuLY909v5AF8ThKPhHUT36LDO6Wc2Su24OSwlBbArUu"
    "m3stRGd0Zk+2b369DUtRnYrxrofP4/FIJeqw=="
)
