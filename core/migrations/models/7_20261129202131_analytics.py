from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True


async def upgrade(db: BaseDBAsyncClient) -> str:
    return """
        CREATE TABLE IF NOT EXISTS "alert_rules" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "name" VARCHAR(255) NOT NULL,
    "metric" VARCHAR(16) NOT NULL,
    "condition" VARCHAR(16) NOT NULL,
    "threshold" DOUBLE PRECISION NOT NULL,
    "compare_window" VARCHAR(8) NOT NULL,
    "channel" VARCHAR(16) NOT NULL,
    "channel_config" JSONB NOT NULL,
    "is_active" BOOL NOT NULL,
    "last_evaluated_at" TIMESTAMPTZ,
    "last_value" DOUBLE PRECISION,
    "created_at" TIMESTAMPTZ NOT NULL,
    "updated_at" TIMESTAMPTZ NOT NULL,
    "app_id" INT NOT NULL REFERENCES "apps" ("id") ON DELETE CASCADE
);
COMMENT ON TABLE "alert_rules" IS 'A condition on one of the app''s metrics, evaluated by a schedule (pipelines.alerts).';
        CREATE TABLE IF NOT EXISTS "alert_history" (
    "id" BIGSERIAL NOT NULL PRIMARY KEY,
    "window_start" DATE NOT NULL,
    "window_end" DATE NOT NULL,
    "value" DOUBLE PRECISION NOT NULL,
    "previous_value" DOUBLE PRECISION,
    "message" TEXT NOT NULL,
    "channel" VARCHAR(16) NOT NULL,
    "notified_at" TIMESTAMPTZ,
    "attempts" INT NOT NULL,
    "error" TEXT,
    "fired_at" TIMESTAMPTZ NOT NULL,
    "app_id" INT NOT NULL REFERENCES "apps" ("id") ON DELETE CASCADE,
    "rule_id" INT NOT NULL REFERENCES "alert_rules" ("id") ON DELETE CASCADE,
    CONSTRAINT "uid_alert_histo_rule_id_4c0554" UNIQUE ("rule_id", "window_end")
);
COMMENT ON TABLE "alert_history" IS 'One firing of a rule: at most one per rule and window (unique), notified once.';
        CREATE TABLE IF NOT EXISTS "dashboards" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "name" VARCHAR(255) NOT NULL,
    "widgets" JSONB NOT NULL,
    "created_at" TIMESTAMPTZ NOT NULL,
    "updated_at" TIMESTAMPTZ NOT NULL,
    "app_id" INT NOT NULL REFERENCES "apps" ("id") ON DELETE CASCADE
);
COMMENT ON TABLE "dashboards" IS 'A named list of widgets, each computed by the dashboard pipelines (pipelines.customdashboards).';
        CREATE INDEX IF NOT EXISTS "idx_alert_rules_app_id" ON "alert_rules" ("app_id");
        CREATE INDEX IF NOT EXISTS "idx_alert_history_app_fired" ON "alert_history" ("app_id", "fired_at");
        CREATE INDEX IF NOT EXISTS "idx_dashboards_app_id" ON "dashboards" ("app_id");
        -- crash_rate alerts count the devices with an app_crash event in a window: a partial index keeps
        -- that off the events table's full range (and costs ingest nothing for other event types).
        CREATE INDEX IF NOT EXISTS "idx_events_app_crash" ON "events" ("app_id", "created_at", "device_id")
            WHERE "event_type" = 'app_crash';"""


async def downgrade(db: BaseDBAsyncClient) -> str:
    return """
        DROP INDEX IF EXISTS "idx_events_app_crash";
        DROP TABLE IF EXISTS "dashboards";
        DROP TABLE IF EXISTS "alert_history";
        DROP TABLE IF EXISTS "alert_rules";"""


MODELS_STATE = (
    "eJztXW1z27gR/isYfTlnxsn5JXHcXOdmZFtp3SZxGjvttb0OBxYhCTXfDgDteK757wXAdx"
    "KgSUmUKBozN3MxyQWpZ8Hl7rOLxe8j17eRQ1+NpwzfY/Y48Rh5HL0Dv4886CL+D/UF+2AE"
    "gyA7LQ4weOtICRhfajn+XF55SxnhB/m5GXQo4odsRKcEBwz7npC48hBwQwYZ9uaAoN9CRB"
    "nwZwB6wCdz6GEKxaVgjy0QSIYHfPifgIfuEQHIxgzZgC2IH84XQFw2/nz54pW4ve1P+f35"
    "yJ3fKfQwH9Bi/hzx44Tf79//4YexZ6NviIo/fx/NMHJs+e8Rv6GFbYkQG4kL0beAIEr5/W"
    "kiG2vBCx1HQPwYSIRH8mIOqvzj+z7QjTuVCK9+B3FhcGfJmxRmR3QfedxKZM/w/NJj7+W1"
    "Av9ba+o7oetl1wePbOF7qQD2mDg6Rx4ikKPLjzESinkiniqeVsnUiUDOLonQzcnYaAZDh2"
    "W/iT9AdmxkWZ+ubqzryY1ljSozMZHITZn40JRDxuHgj0olAHPxCC//cHR0fPz26OD45PTN"
    "67dv35wenPJr5fNWT739Hj1MhlY0lMTs8k+Xn27EA/n8VYneI3Hgu5SBDFqZgjP0Q4qIpV"
    "KBFv+cxNNKSCDPaSHGOFVCckmmhewV35wajg5fv319enzyOkU/PVIHegJwCVDkQuxUMT1f"
    "QFIDaipVwpU/7g7i6sJvloO8OVsIMN+8qUHx7+Mv538ef9njV70oTuBP8amj6FwR6sw2NY"
    "U5k1gK4ooB6RXGJ68bQHzyWouwOFUEmBt6PyRTFMHUAueK4ADhPj5qAPfxkRZucUoDt8oe"
    "NwBbaZQHYDzWP7Fx0Abg6GqD69O4ys8Y5Jiw1h+/VGp4OL85bGIq+FVapOW5ItQ2YtxboF"
    "Wc/3J99UmNc06kBLKNpwz8DziY7qAHV4OtwEKM7FL6m5OHdO/j+Jcy2ucfrs4kNj5lcyJH"
    "kQOcld0OxeS+4Ggx7CKN26Ga2HYs8ir5xy5+EQmC9pXnPMazokYVN5cfJ9c344+fC/q4GN"
    "9MxJkjefSxdHTvpKSjdBDwj8ubPwPxJ/jX1adJWW3pdTf/ErHtCIbMtzz/wYJ2LsxLjiao"
    "FbSchcAN46JMYKmwqHeqXUNcJGL+2Z0y7uRoVbF97xOE595f0aOE+JI/EPSmKgcyppSuol"
    "F2DNrvydRJjmZTksCHlCLJzSj+y/nvRSz6kI6vz8cXk4hSuYXTuwdIbKuAszjjH/mlI+m1"
    "1VPukVs+Aj3+SbbjHyEeOaHx7GsmwJ6rSb7s7H4tw2dbNLoQI9qM4ht7gI/3AwXQBhy7GZ"
    "6HJKLaZj4BvodAQPwZdhCgaO5ybwLs+feIEMzHEQSdINroAgcBskGsU6rg97q7jYLc+7eE"
    "iJ+Lxxr9p0T3taLNngtntiJZo2fDEi20cF5zIibIbRDk0px5aOq45mVW8lyXAnv0x1noSe"
    "II3IbYYdijr8Rtfx4NxKGNrJzFjRhV8mlas1IV3Jzrc9hrE5MLiQPh39tW+6ihKGmih75E"
    "DwlGufAhfvpcjBgE7aKHTMBED09HD7HTtGL0MI5G2TFom0YP2YzqVfTgIMJfAYKK3mz1bH"
    "30IK6zFvyj78elBI0KBGZYICuT9YCEDnoHIAOuL/L3wq1HRB4F0LPBA9eu/wD2Iq2/2Aee"
    "zzD/jTa/dIrUVQHrHV4ZLYgBxMlI3kKevVrEYBLtm0q0xxrjNoloPAG1FspydX7A7lozFc"
    "7iO15ypnLTvj2EsdSzBvAeOqEik/ve8aHGCqQSJdxmQmRgeF19PfswAZ+/TM4vry/jQCv1"
    "KuVJSdX85uDoW/plMv5QAjgg6B77IbXaI10VXRLy3cnPrANxF1HKfY0q1DfomwbpnMggOJ"
    "u6wGnyy009YZDi/eHq05+Sy8ssQokwWEDPQ60KnHIig4C8SJMdnjSgyQ7L8WhGk4lTRYgT"
    "f3AJ3qAkugbiYHcMSs95gmqaETKG3IAp8vh6qiAnsjmy4KBb73xtfBsixCdtPgapwBAKTz"
    "b9JZiJWH0JG5WXM8xmXyxWk7oIw2yu114JRqcdoDkJg+jTXHFCma1KFgvK8Us81o4h3JQy"
    "zs0sNWdcMgSGg99dDl5OZR0Fn8zzpxh4MWGaVu+IYhobyzS6/A8lxTJRtY2LOORTug+QoD"
    "/EVAC3jwACOl0gW9DmewEOkIM9RF/Jmytrdzq6ydPL8kydzibrdOT/K7Dq2Yfk+gFSD52s"
    "rIrekzYIZxIDxHj99E5qplpxaHkhA3MDmNmCBz4L31HY4BoiviBl0h5NSPip7waQICtKtb"
    "Wb1GXJzc1s/oF5HG1kap82mNmn2ol9WjEfO0LAc4Dp4tbnHutmYO7AUEewWVGpYxVwfdFq"
    "VdKUrtbzj0uUrmJqyRYbCm/wzPcdBD2No52XK+nllgt2pZDECd8s9GdXVx8K0J9dlrndrx"
    "/PJvzVeFG09FW6yoGUWWn0tATzqxzA5Kj6nKOSKmtfz1AUM7UMTdwogpZ8rYqSJqXSlxes"
    "SUrFLBEYmtbNEoGtp31MeqLL9ESGc64Iv+R/x4Lv//oFOVBDWynr/geC9vdOczgyM1PN3k"
    "TztSZvEwTNEjb6n69cmBCv5w/4j+MPbMnHMmuZTY6kF8RyJzmSwlRvgXNZzuDdDG9q31l3"
    "SPGhqVmbn4msB+XtGowixk2adx3pm3cdVZp3zaauxcNIG3kMQ1VnKX0NpULUVFMuUU3JYQ"
    "yI/180ZS17AFYlh4D/BqyKYVz06O9m7G0Yl+eo9SaMi2np1injYlq6ddnSLcdslVunrcC7"
    "FLq1DQTzIsta7hRhSKqnwEqLeleEamDF8kW3MeQTyrXi5m8ronUuB7vOGskNEbG0EmhFsC"
    "7yFUWDBArd4+mqL+CFHGSoEKFvASJ4DW/eJB1oqFDNHDhfEaT3PM4NCXrPRxoSSl1mZ4oW"
    "XZGnqZh8fcZG8al5erWN+PZSIPrSgsieAMg4Trch44dFA6rjg5c2fEz3p/oJuMi9RYQC4S"
    "hFy2IQnC7AFDrTMJshhdU2XdzkV2+v+IOtWGYfPBDMGPKE1IKP/jL5+/pvHwD2QLZyJxog"
    "Acys4DHZqZ7ZpA3wmvknq8CsJ/JLYkMgkTdN4jv+vN3SqVRgg3X5408Xo41M7uMGU/tY3z"
    "66um7KUXX3qFte4gynu0cR2joDnED7Vgvt28ruU+qwX7/AIRXox7oGcT+zrsGsa9hfal1D"
    "5MByJENV+3+tu1cWM/2YlAtGEgd/+RUjlRHMkpH+ZNqqCVaTVte/YLuZYDVp9eeodbOQYe"
    "tpdbOQYVf7LGWpKgUDXMhj6dnfYtqsSZslcR9bRl+i99EDtueIiY5Hkmj13SCMux6Jrkjp"
    "6Bl7mm+BFBGp2SMoOy51fj9D3RrqtjcWaQPUbfwKtaFiciKGjFk7GWOCmaG5tSaYeY5aN8"
    "GMCWZMMLNsMBNVlKkimbTWrCaMyYra1r3yOJ5S0LOJj22BnNkRrdlLvuUd0XIaaxFNFKUG"
    "GFMcHjVpFsiv0nexO6o0DLwlULVnmh7mVGB4efNuOuYKm9cG4FTAANwI4OS91+5S/bTJ0O"
    "9TbUDXgM5dkWUAL4oZsBuBLdZwM/8OtSrYKwgNAehNl+vJ0g3V0rC6mrJUZAiIl6Z2k4mt"
    "n9blSY1FMOc4EUItMC7LDQ/o9fcqDikiSdl8G6zLchusQ/XQQ1cscddoU0TFB462rhmrCp"
    "qqsXLVGLStB8imC1VFqp6KKwgZUMugBiGZLiBthWlBxkCqg9Qi6B55qgbJF2iKXejUo5sX"
    "L+cLIvlX8Ti7BngNmheT88uP4w97h6f7J6X63MQgvz6oRCT2klAXBZ8jyKeNQU6/UMcHbV"
    "IhZTFjLvSftZbQVgUNuNrPW0tsK3IG2sompWgqluLWOBA1y4QUsqZIpZ7HWKJIZYYJZTyK"
    "Q95y2zEXhU3RQl+KFpqUqsgVMkuqvixrNL9Lmjelac9R66Y0bWhaN6VppjRt+0m3HS1Nm9"
    "xruixFJ/brCtMEJdS0qdKVh4C8/qd8L6Lzq8//FP2HbkPnbh9QH3g+mEXTBtyhRwr2uHcl"
    "V7+4eE5kkyPFOpo1j62rlIu1J++kKpX7fZRhnrs+5ywIAfQtIDHXkygnRj6eXslLIe/1jc"
    "Mq/5DWLDd+vHh+rbcwtX79rPUz366Vv12KdhVtJ3VBbEjAbmR65xpQSvvZtqahKDXA0tWT"
    "JnuSnOj3JDmp7EkSQSbMShvKsSjVD7JxUNsuG9phGVX0POCs8gyCusf3S+m5JGoU3WtFp/"
    "FARctfv15e1BlZpSsRhth+JSSHpdaoWWGkp7wG5C9VcAtbioazntaqkLjQ8bomLi622G7Q"
    "eMID4x/PQCb3DtgEzhh4+TMgoedxzMEf+b8DGFJki6OiOYRgEGxFV4kVBzMtI0zLiN5YFN"
    "Pttx/mu5PlA/eQYKjch0AfnuRl+hGcDKoSgkHCzb7lIv5YrRoxVwQHaH7WH6JTBlmomP81"
    "27KmEhtcaSD9h66meOdrDfjUXC7eLkqapqm9jsI4hMvoOC9nNNxnDRveTG9Cd7Nww5TrPE"
    "etm3IdU66z/U9ih+U6hb32fBqSVTckzHjHSTzggHDvdC85BXK1vG4e3yb8rlXQcJMOw1EV"
    "wQ8UyGUDIJEHzAfQy5G2YM/3ECD+AwjSLeL2ZbVSzIAAzMADpABSyt9aZCv7C3d8N2WlFC"
    "qw5FnVhOks1qNyDD3dbKpjtlodE79vbSihnIgh3ZrUxQgruBxZUJA0IUVfQoomgWTuo90q"
    "sqjIDcm4dRVgFH2AFeOMQW40XQ43KtOsT4sE8rtYK/zn0ibXesd5Fl1opRtrN/GYxcU/AX"
    "QPnRDG22Fku17IkV4lJ/cBReSeXzMjvivdV+y9DIg/RZSCKZzyA/4MwABLOXlA5TVv4I51"
    "3XjFldYdelzNY34u7nJndRepGlq4YnkZ44s18MVMcYspbtl+KqyL4hZpCtqucigIDXCOrz"
    "+7j6mFPPHbVXzFE7v95gQ3uN1vemRn9/slvuP4IbOCaZvWjSWpzYVRhwe70irIFMT1riAu"
    "bu3aSiV5GaOStask2ukwabrLw+VWylFLGzWtX02y0zdu1/CsIGSUsnaluNizltyYQCE6hL"
    "ig6wjXlK3poR9utsGUrQ1N66ZsbetZJVO2tqtdpq6IMnEkDu/XJYx80jBPpMfRLGftV1rF"
    "MP7dMv6BA1u59cn1G1xONiMIdRVQdc03wwC3TQrmRNYD8nbtQwHg1wcNABabJGgAru6fEB"
    "cSajYGalCCOLydgTZcgmgiVr1CdjN20UWsLbqu5CzglOF7zBQmsM2ahnE8yiTZDXDHZoJ2"
    "OUMpHlxx6cewgpUiRUJ5rLAaOjx++JqMMkyIEFlxAn3lQwwJno6j1Gg6qUPVdKrVxqtWOq"
    "+fLm6UPZYpoMwnyJZLb/gA0MNUKlUemELua9mQANf32ALsfb05f7EP7lDARFliVHA4R5SB"
    "ALJFtZixkzsoixf9KJaXg5i1Pn3y7PSxeKQspZOnyQElAnW+3e6aGxWywjdTNVZV2eWaiZ"
    "vJmLBkubBE2NZWjFwmYMj1p8n12H6vSK7HjO6OQduUXM9mVJ/I9S/R1pzanRwK52vdl3iT"
    "T6vtxg7QBthN9hz4gYJ4HLD3+er6BvxI7bsf40Oa3RvaDvA0qb+lzRhWGdQ4Sb10kkxSdx"
    "0JIbPAvCduFLRbr0rIiQwwC9dBjsi2PMQefHLXEuWc1PBK6zrJdi63n/nWNzPfUii7zH7m"
    "aBq4LeFNRFbGtmfzuRm0J42hnSPfYjjiZ5taibzM8GzEaQMLcaq1D6eV2ltZTd4qWZ8TGR"
    "68R00MsN78mtLmdZiKPiWGFUWtrTPDXVIbMnuloDSSrJaeykhTZ6Z0cMciRVM6uC1nGrkQ"
    "O20ATgUGV9fWTWkmpJTHd7a1gFSRdqup0SwLDtA16SQ69B2NwZh4oVtJaZSXq2/YeIzuMX"
    "qIvmst8B75D/xR3gH5v189aLvYewfk/371ohHfgdzIW2dHdmTPC1nmtrNlyphagQPZzCeu"
    "JeeCgmx9ojtGVd40yWjRJAPzl48J5/EOea0NvlJ4LUa/R9/Y9a+1jWFD3wLM458l4lLlAG"
    "ZbkL5Fp1Wd29btY7ssXUVuqZxSzxS77lwdD3tVIZe+f0Mq0I/eDWbj6OdBtw1sXYYpezNl"
    "b6bs7QlueIwIni5GCnY4PrNfxw/D7BpDEO/Su7xfQxAv0dVo1W5GfXunN8CqKdtw1C1/Dg"
    "aK7uFBk9XP/Co9cXNQKQrgd2TKvvl1TdNSkc273dsJU9fmYG810fn9/xtmwio="
)
